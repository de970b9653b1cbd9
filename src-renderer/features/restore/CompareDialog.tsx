import { useId, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import LinearProgress from '@mui/material/LinearProgress';
import Tab from '@mui/material/Tab';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tabs from '@mui/material/Tabs';
import Typography from '@mui/material/Typography';
import type { FileDiff, FileEntry } from '../../../shared/domain/files';
import type { RestorePoint } from '../../../shared/domain/jobs';
import { describeError } from '../../api/api-error';
import { formatBytes } from '../../lib/format';
import { formatPointTime } from './browse-time';
import { fileTypeLabel } from './file-columns';
import { PointSwitcher } from './PointSwitcher';
import { useEngineQuery } from './use-engine-query';

type DiffKind = keyof Omit<FileDiff, 'truncated'>;
const KINDS: { key: DiffKind; label: string }[] = [
  { key: 'added', label: 'Added' },
  { key: 'removed', label: 'Removed' },
  { key: 'changed', label: 'Changed' },
];

/** The point to compare with by default: the one just before, or else the one just after. */
function neighbour(points: RestorePoint[], current: RestorePoint): string {
  const index = points.findIndex((p) => p.id === current.id);
  return (points[index + 1] ?? points[index - 1])?.id ?? '';
}

/** "Compare with…": what was added, removed and changed below the current folder. */
export function CompareDialog(props: {
  vmUuid: string;
  points: RestorePoint[];
  current: RestorePoint;
  path: string;
  /** The point to compare with first; the one just before `current` when not given. */
  otherId?: string;
  onClose(): void;
}) {
  const { vmUuid, points, current, path, onClose } = props;
  const titleId = useId();
  const [otherId, setOtherId] = useState(() => props.otherId ?? neighbour(points, current));
  const [tab, setTab] = useState<DiffKind>('added');
  const other = points.find((p) => p.id === otherId);
  // Always older → newer, so "added" means what appeared as time went on.
  const [older, newer] =
    other === undefined || Date.parse(other.time) <= Date.parse(current.time)
      ? [other, current]
      : [current, other];
  const query = useEngineQuery(
    'files.diff',
    older === undefined ? null : { vm: vmUuid, fromPointId: older.id, toPointId: newer.id, path },
  );
  const diff = query.data;
  const rows: FileEntry[] = diff?.[tab] ?? [];

  return (
    <Dialog open onClose={onClose} maxWidth="md" fullWidth aria-labelledby={titleId}>
      <DialogTitle id={titleId}>Compare restore points</DialogTitle>
      <DialogContent>
        <DialogContentText sx={{ mb: 2 }}>
          Changes below <strong>{path}</strong> between the point of {formatPointTime(current.time)}{' '}
          and another point.
        </DialogContentText>
        {points.length < 2 ? (
          <Alert severity="info">
            This VM has a single restore point: nothing to compare with.
          </Alert>
        ) : (
          <PointSwitcher
            label="Compare with"
            points={points}
            pointId={otherId}
            exclude={current.id}
            onChange={setOtherId}
          />
        )}
        {older !== undefined && (
          <Typography variant="body2" color="text.secondary" sx={{ mt: 1.5 }}>
            From {formatPointTime(older.time)} to {formatPointTime(newer.time)}
          </Typography>
        )}
        {query.loading && <LinearProgress aria-label="Comparing" sx={{ mt: 1 }} />}
        {query.error !== null && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {describeError(query.error)}
          </Alert>
        )}
        {diff !== undefined && (
          <>
            {diff.truncated && (
              <Alert severity="warning" sx={{ mt: 2 }}>
                Too many differences: only the first ones are listed. Compare a smaller folder.
              </Alert>
            )}
            <Tabs value={tab} onChange={(_e, value: DiffKind) => setTab(value)} sx={{ mt: 1 }}>
              {KINDS.map((kind) => (
                <Tab
                  key={kind.key}
                  value={kind.key}
                  label={`${kind.label} (${diff[kind.key].length})`}
                />
              ))}
            </Tabs>
            <Box sx={{ maxHeight: 360, overflow: 'auto' }}>
              {rows.length === 0 ? (
                <Typography variant="body2" color="text.secondary" sx={{ py: 2 }}>
                  Nothing {tab}.
                </Typography>
              ) : (
                <Table size="small" stickyHeader aria-label={`${tab} files`}>
                  <TableHead>
                    <TableRow>
                      <TableCell>Path</TableCell>
                      <TableCell>Type</TableCell>
                      <TableCell align="right">Size</TableCell>
                      <TableCell>Modified</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {rows.map((entry) => (
                      <TableRow key={entry.path}>
                        <TableCell sx={{ wordBreak: 'break-all' }}>{entry.path}</TableCell>
                        <TableCell>{fileTypeLabel(entry)}</TableCell>
                        <TableCell align="right">
                          {entry.type === 'dir' ? '' : formatBytes(entry.size)}
                        </TableCell>
                        <TableCell sx={{ whiteSpace: 'nowrap' }}>
                          {entry.mtime ? formatPointTime(entry.mtime) : ''}
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              )}
            </Box>
          </>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}

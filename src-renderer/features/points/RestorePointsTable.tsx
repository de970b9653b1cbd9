import { Fragment, useEffect, useRef, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutlined';
import FolderOpenIcon from '@mui/icons-material/FolderOpen';
import SettingsBackupRestoreIcon from '@mui/icons-material/SettingsBackupRestore';
import WarningAmberIcon from '@mui/icons-material/WarningAmber';
import type { RestorePoint } from '../../../shared/domain/jobs';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { describeError } from '../../api/api-error';
import { formatBytes } from '../../lib/format';
import { useStore } from '../../store';
import { isActive } from '../../store/jobs-slice';
import { formatLocalTime } from '../jobs/job-text';
import { DeletePointsDialog } from './DeletePointsDialog';
import { RestoreDiskDialog } from './RestoreDiskDialog';

/**
 * The restore points of one VM with what can be done to each: browse its files, restore a disk,
 * delete it (one, or the points ticked). The jobs these start are followed by the caller:
 * `onJobStarted` says which, and whether it takes the keyboard focus.
 */
export function RestorePointsTable(props: {
  vm: VirtualMachine;
  onJobStarted(jobId: string | null, takeFocus: boolean): void;
}) {
  const { vm, onJobStarted } = props;
  const entry = useStore((s) => s.pointsByVm[vm.uuid]);
  const loadPoints = useStore((s) => s.loadPoints);
  const openRestore = useStore((s) => s.openRestore);
  const deletePoints = useStore((s) => s.deletePoints);
  // A deletion started here still running: a second one of the same points would be refused.
  const deletionRunning = useStore((s) => {
    const id = s.lastJobForVm[vm.uuid];
    const job = id === undefined ? undefined : s.jobsById[id];
    return job !== undefined && job.kind === 'prune' && isActive(job);
  });
  const [restoring, setRestoring] = useState<RestorePoint | null>(null);
  const [deleting, setDeleting] = useState<RestorePoint[] | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  // The deletion job, handed on once its dialog has closed: the dialog gives the focus back to
  // the button that opened it as it goes, and the job's status must take it after that.
  const startedDeletion = useRef<string | null>(null);

  useEffect(() => {
    void loadPoints(vm.uuid);
  }, [vm.uuid, loadPoints]);

  const points = entry?.points ?? [];
  // Points deleted meanwhile (here or elsewhere) drop out of the selection by themselves.
  const chosen = points.filter((p) => selected.has(p.id));
  const toggle = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  async function confirmDeletion(targets: readonly RestorePoint[]) {
    const repository = targets[0]?.repository ?? 'default';
    const job = await deletePoints(
      vm.uuid,
      repository,
      targets.map((p) => p.id),
    );
    startedDeletion.current = job.id;
    setSelected(new Set());
  }

  function closeDeletion() {
    setDeleting(null);
    if (startedDeletion.current !== null) onJobStarted(startedDeletion.current, true);
    startedDeletion.current = null;
  }

  return (
    <>
      <Stack
        direction="row"
        sx={{ alignItems: 'center', justifyContent: 'space-between', gap: 1, mt: 2, mb: 0.5 }}
      >
        <Typography variant="subtitle2" component="h4">
          Restore points
        </Typography>
        {points.length > 1 && (
          <Button
            size="small"
            color="error"
            startIcon={<DeleteOutlineIcon />}
            disabled={chosen.length === 0 || deletionRunning}
            onClick={() => setDeleting(chosen)}
          >
            Delete selected ({chosen.length})…
          </Button>
        )}
      </Stack>
      {entry?.status === 'loading' && <LinearProgress aria-label="Loading restore points" />}
      {entry?.error != null && (
        <Alert severity="error" sx={{ mb: 1 }}>
          Could not list the restore points: {describeError(entry.error)}
        </Alert>
      )}
      {points.length === 0 ? (
        entry?.status === 'ready' && (
          <Typography color="text.secondary" variant="body2">
            No restore point yet. “Back up now” makes the first one (a full backup).
          </Typography>
        )
      ) : (
        // Narrow columns fit the drawer; should a locale's date still not fit, only the table
        // scrolls sideways, never the drawer with the actions cut off.
        <Box sx={{ overflowX: 'auto' }}>
          <Table size="small" aria-label={`Restore points of ${vm.name}`}>
            <TableHead>
              <TableRow>
                <TableCell padding="checkbox">
                  <Checkbox
                    size="small"
                    checked={chosen.length === points.length}
                    indeterminate={chosen.length > 0 && chosen.length < points.length}
                    onChange={(e) =>
                      setSelected(new Set(e.target.checked ? points.map((p) => p.id) : []))
                    }
                    slotProps={{ input: { 'aria-label': 'Select every restore point' } }}
                  />
                </TableCell>
                <TableCell>Time</TableCell>
                <TableCell>Type</TableCell>
                <TableCell align="right">Size</TableCell>
                <TableCell align="right">
                  <Box component="span" sx={visuallyHidden}>
                    Actions
                  </Box>
                </TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {points.map((point) => (
                <PointRows
                  key={point.id}
                  point={point}
                  selected={selected.has(point.id)}
                  onSelect={(on) => toggle(point.id, on)}
                  onRestore={() => setRestoring(point)}
                  onBrowse={() => openRestore({ vmUuid: vm.uuid, vmName: vm.name }, point.id)}
                  onDelete={deletionRunning ? undefined : () => setDeleting([point])}
                />
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
      {restoring !== null && (
        <RestoreDiskDialog
          vmUuid={vm.uuid}
          point={restoring}
          onClose={() => setRestoring(null)}
          onStarted={() => onJobStarted(null, false)}
        />
      )}
      {deleting !== null && (
        <DeletePointsDialog
          vmName={vm.name}
          points={deleting}
          remaining={points.length - deleting.length}
          onConfirm={() => confirmDeletion(deleting)}
          onClose={closeDeletion}
        />
      )}
    </>
  );
}

// Pixels as strings: in `sx` a bare 1 means 100 %, and a header 640 px wide pushed the drawer
// sideways, cutting off the actions.
const visuallyHidden = {
  position: 'absolute',
  width: '1px',
  height: '1px',
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
} as const;

/** Short local date and time with seconds (two points can be a minute apart); ISO in the tooltip. */
function formatPointTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

const FULL_HELP = 'Every used block was read. The point restores on its own.';
const INCREMENTAL_HELP =
  'Only the blocks changed since the previous point were read, but the point is complete: it restores on its own and shares unchanged data with other points, so removing an older point never breaks it.';

function PointRows(props: {
  point: RestorePoint;
  selected: boolean;
  onSelect(on: boolean): void;
  onRestore(): void;
  onBrowse(): void;
  /** Undefined while a deletion of this VM's points runs. */
  onDelete: (() => void) | undefined;
}) {
  const { point, selected, onSelect, onRestore, onBrowse, onDelete } = props;
  const time = formatLocalTime(point.time);
  const hasFallback = point.fallbackReason !== undefined && point.fallbackReason !== '';
  const cellSx = hasFallback ? { borderBottom: 0 } : undefined;
  return (
    <Fragment>
      <TableRow hover selected={selected}>
        <TableCell padding="checkbox" sx={cellSx}>
          <Checkbox
            size="small"
            checked={selected}
            onChange={(e) => onSelect(e.target.checked)}
            slotProps={{ input: { 'aria-label': `Select the point of ${time}` } }}
          />
        </TableCell>
        <TableCell sx={{ ...cellSx, whiteSpace: 'nowrap' }}>
          <Tooltip title={point.time}>
            <span>{formatPointTime(point.time)}</span>
          </Tooltip>
        </TableCell>
        <TableCell sx={cellSx}>
          <Tooltip title={point.type === 'full' ? FULL_HELP : INCREMENTAL_HELP}>
            <Chip
              size="small"
              variant={point.type === 'full' ? 'filled' : 'outlined'}
              color={point.type === 'full' ? 'primary' : 'default'}
              label={point.type === 'full' ? 'Full' : 'Incremental'}
            />
          </Tooltip>
          <Typography variant="caption" color="text.secondary" component="div">
            {point.consistency}
          </Typography>
          {point.type === 'incremental' && (
            // After a prune removed the full, a column of bare "Incremental" reads as a broken
            // chain (review M5): every point is a synthetic full.
            <Typography variant="caption" color="text.secondary" component="div">
              restorable on its own
            </Typography>
          )}
        </TableCell>
        <TableCell align="right" sx={{ ...cellSx, whiteSpace: 'nowrap' }}>
          <Tooltip title="Size of the VM's disks in this point / space it added to the repository">
            <span>{formatBytes(point.logicalBytes)}</span>
          </Tooltip>
          {point.storedBytes > 0 ? (
            <Typography variant="caption" color="text.secondary" component="div">
              {formatBytes(point.storedBytes)} stored
            </Typography>
          ) : (
            <Tooltip title="This point added no new data to the repository: all its blocks are shared with other points, and it restores on its own">
              <Typography variant="caption" color="text.secondary" component="div">
                — shared
              </Typography>
            </Tooltip>
          )}
        </TableCell>
        <TableCell align="right" sx={{ ...cellSx, px: 0.5, whiteSpace: 'nowrap' }}>
          <Tooltip title="Browse and restore files…">
            <IconButton
              size="small"
              onClick={onBrowse}
              aria-label={`Browse the files of the point of ${time}`}
            >
              <FolderOpenIcon fontSize="small" />
            </IconButton>
          </Tooltip>
          <Tooltip title="Restore disk…">
            <span>
              <IconButton
                size="small"
                onClick={onRestore}
                disabled={point.disks.length === 0}
                aria-label={`Restore a disk from the point of ${time}`}
              >
                <SettingsBackupRestoreIcon fontSize="small" />
              </IconButton>
            </span>
          </Tooltip>
          <Tooltip
            title={onDelete === undefined ? 'A deletion is running' : 'Delete restore point…'}
          >
            <span>
              <IconButton
                size="small"
                onClick={onDelete}
                disabled={onDelete === undefined}
                aria-label={`Delete the restore point of ${time}`}
              >
                <DeleteOutlineIcon fontSize="small" />
              </IconButton>
            </span>
          </Tooltip>
        </TableCell>
      </TableRow>
      {hasFallback && (
        <TableRow selected={selected}>
          <TableCell colSpan={5} sx={{ pt: 0 }}>
            <Stack direction="row" sx={{ gap: 0.75, alignItems: 'flex-start' }}>
              <WarningAmberIcon fontSize="small" color="warning" aria-hidden />
              <Typography variant="caption" color="text.secondary">
                {point.type === 'full' ? 'Full instead of incremental: ' : ''}
                {point.fallbackReason}
              </Typography>
            </Stack>
          </TableCell>
        </TableRow>
      )}
    </Fragment>
  );
}

import { Fragment, useEffect, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Chip from '@mui/material/Chip';
import FormControlLabel from '@mui/material/FormControlLabel';
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
import BackupIcon from '@mui/icons-material/Backup';
import FolderOpenIcon from '@mui/icons-material/FolderOpen';
import SettingsBackupRestoreIcon from '@mui/icons-material/SettingsBackupRestore';
import WarningAmberIcon from '@mui/icons-material/WarningAmber';
import type { RestorePoint } from '../../../shared/domain/jobs';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { describeError } from '../../api/api-error';
import { formatBytes } from '../../lib/format';
import { useStore } from '../../store';
import { isActive } from '../../store/jobs-slice';
import { JobInlineStatus } from '../jobs/JobInlineStatus';
import { formatLocalTime } from '../jobs/job-text';
import { RestoreDiskDialog } from './RestoreDiskDialog';

/** "Back up now", the job it started (live), and the VM's restore points with their restores. */
export function VmBackupsSection({ vm }: { vm: VirtualMachine }) {
  const entry = useStore((s) => s.pointsByVm[vm.uuid]);
  const loadPoints = useStore((s) => s.loadPoints);
  const openRestore = useStore((s) => s.openRestore);
  const lastJobId = useStore((s) => s.lastJobForVm[vm.uuid]);
  const [restoring, setRestoring] = useState<RestorePoint | null>(null);
  const [dismissed, setDismissed] = useState<string | null>(null);
  // The job "Back up now" just started: its status takes the focus from the disabled button.
  const [startedHere, setStartedHere] = useState<string | null>(null);

  useEffect(() => {
    void loadPoints(vm.uuid);
  }, [vm.uuid, loadPoints]);

  const points = entry?.points ?? [];
  return (
    <Box>
      <BackUpNow vm={vm} onStarted={setStartedHere} />
      {lastJobId !== undefined && lastJobId !== dismissed && (
        <Box sx={{ mt: 2 }}>
          <JobInlineStatus
            jobId={lastJobId}
            onDismiss={() => setDismissed(lastJobId)}
            autoFocus={lastJobId === startedHere}
          />
        </Box>
      )}
      <Typography variant="subtitle2" component="h4" sx={{ mt: 2, mb: 0.5 }}>
        Restore points
      </Typography>
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
        // Four narrow columns fit the drawer; should a locale's date still not fit, only the
        // table scrolls sideways, never the drawer with the actions cut off.
        <Box sx={{ overflowX: 'auto' }}>
          <Table size="small" aria-label={`Restore points of ${vm.name}`}>
            <TableHead>
              <TableRow>
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
                  onRestore={() => setRestoring(point)}
                  onBrowse={() => openRestore({ vmUuid: vm.uuid, vmName: vm.name }, point.id)}
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
          onStarted={() => setDismissed(null)}
        />
      )}
    </Box>
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

function BackUpNow({ vm, onStarted }: { vm: VirtualMachine; onStarted(jobId: string): void }) {
  const startBackup = useStore((s) => s.startBackup);
  const notify = useStore((s) => s.notify);
  const running = useStore((s) => {
    const id = s.lastJobForVm[vm.uuid];
    const job = id === undefined ? undefined : s.jobsById[id];
    return job !== undefined && job.kind === 'backup' && isActive(job);
  });
  const [full, setFull] = useState(false);
  const [starting, setStarting] = useState(false);

  async function start() {
    setStarting(true);
    try {
      onStarted((await startBackup({ vm: vm.uuid, full })).id);
    } catch (err) {
      notify('error', `Could not start the backup of ${vm.name}: ${describeError(err)}`);
    } finally {
      setStarting(false);
    }
  }

  return (
    <Stack direction="row" sx={{ alignItems: 'center', gap: 2, flexWrap: 'wrap' }}>
      <Button
        variant="contained"
        startIcon={<BackupIcon />}
        onClick={() => void start()}
        disabled={starting || running}
      >
        {running ? 'Backing up…' : 'Back up now'}
      </Button>
      <Tooltip title="Copy every used block again instead of only what changed since the last point">
        <FormControlLabel
          control={
            <Checkbox
              checked={full}
              onChange={(e) => setFull(e.target.checked)}
              disabled={starting || running}
            />
          }
          label="Full backup"
        />
      </Tooltip>
    </Stack>
  );
}

/** Short local date and time with seconds (two points can be a minute apart); ISO in the tooltip. */
function formatPointTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

const FULL_HELP = 'Every used block was read. The point restores on its own.';
const INCREMENTAL_HELP =
  'Only the blocks changed since the previous point were read, but the point is complete: it restores on its own and shares unchanged data with other points, so removing an older point never breaks it.';

function PointRows(props: { point: RestorePoint; onRestore(): void; onBrowse(): void }) {
  const { point, onRestore, onBrowse } = props;
  const hasFallback = point.fallbackReason !== undefined && point.fallbackReason !== '';
  const cellSx = hasFallback ? { borderBottom: 0 } : undefined;
  return (
    <Fragment>
      <TableRow hover>
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
              aria-label={`Browse the files of the point of ${formatLocalTime(point.time)}`}
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
                aria-label={`Restore a disk from the point of ${formatLocalTime(point.time)}`}
              >
                <SettingsBackupRestoreIcon fontSize="small" />
              </IconButton>
            </span>
          </Tooltip>
        </TableCell>
      </TableRow>
      {hasFallback && (
        <TableRow>
          <TableCell colSpan={4} sx={{ pt: 0 }}>
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

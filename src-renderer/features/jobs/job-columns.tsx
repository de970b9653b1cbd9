import Box from '@mui/material/Box';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import type { GridColDef } from '@mui/x-data-grid';
import type { Job } from '../../../shared/domain/jobs';
import { JobProgressBar } from './JobProgressBar';
import { JobStatusChip } from './JobStatusChip';
import {
  KIND_LABELS,
  STATUS_LABELS,
  backupVmsLine,
  durationSeconds,
  formatClock,
  formatShortTime,
  formatRate,
  percentOf,
  jobTitle,
} from './job-text';

const ACTIVE = new Set<Job['status']>(['queued', 'running']);

/**
 * The title, and under it the VMs of a backup. A long title ("Dry run: delete restore point
 * 11/23/2026, 12:17:26 PM of lab-web-01 from default") wraps and the row grows for it: a title
 * is what tells one job from the next, so none is cut short. The VMs line, on one line, is whole
 * on hover.
 */
function JobCell({ job }: { job: Job }) {
  const title = jobTitle(job);
  const vms = backupVmsLine(job);
  return (
    <Tooltip title={vms === undefined ? title : `${title} — ${vms}`} enterDelay={600}>
      <Box
        sx={{
          display: 'flex',
          flexDirection: 'column',
          justifyContent: 'center',
          height: '100%',
          py: 0.75,
        }}
      >
        <Typography variant="body2" sx={{ fontWeight: 600, overflowWrap: 'anywhere' }}>
          {title}
        </Typography>
        {vms !== undefined && (
          <Typography variant="caption" color="text.secondary" noWrap>
            {vms}
          </Typography>
        )}
      </Box>
    </Tooltip>
  );
}

/**
 * The status, and while the job runs what it is doing. An ended job's phase only repeats its
 * status ("succeeded"), so it is not shown then.
 */
function StatusCell({ job }: { job: Job }) {
  const phase = ACTIVE.has(job.status) && job.phase !== job.status ? job.phase : '';
  return (
    <Box
      sx={{
        display: 'flex',
        flexDirection: 'column',
        justifyContent: 'center',
        alignItems: 'flex-start',
        gap: 0.25,
        height: '100%',
      }}
    >
      <JobStatusChip status={job.status} />
      {phase !== '' && (
        <Typography
          variant="caption"
          color="text.secondary"
          noWrap
          title={phase}
          sx={{ maxWidth: '100%', lineHeight: 1.3 }}
        >
          {phase}
        </Typography>
      )}
    </Box>
  );
}

/**
 * Columns of the job controller. `now` keeps running jobs' durations moving between events.
 * Widths leave room for a header's sort and menu buttons, so "Duration" does not turn into
 * "Dur…" under the pointer; the Job column takes what is left.
 */
export function jobColumns(now: number): GridColDef<Job>[] {
  return [
    {
      field: 'title',
      headerName: 'Job',
      // Takes what the others leave; a longer title wraps (JobCell). The minimum keeps a short
      // title on one line ("Backup of lab-web-01") and the grid without sideways scrolling in a
      // 1280 px window.
      flex: 1,
      minWidth: 180,
      renderCell: ({ row }) => <JobCell job={row} />,
    },
    {
      field: 'kind',
      headerName: 'Kind',
      width: 105,
      valueFormatter: (value: Job['kind']) => KIND_LABELS[value],
    },
    {
      field: 'status',
      headerName: 'Status',
      // Room for the widest chip, "Partially succeeded".
      width: 175,
      valueFormatter: (value: Job['status']) => STATUS_LABELS[value],
      renderCell: ({ row }) => <StatusCell job={row} />,
    },
    {
      field: 'progress',
      headerName: 'Progress',
      width: 140,
      sortable: false,
      valueGetter: (_value, row) => percentOf(row.bytesDone, row.bytesTotal) ?? 0,
      renderCell: ({ row }) => (
        <Box sx={{ display: 'flex', alignItems: 'center', height: '100%' }}>
          <JobProgressBar
            status={row.status}
            bytesDone={row.bytesDone}
            bytesTotal={row.bytesTotal}
            label={`Progress of ${jobTitle(row)}`}
          />
        </Box>
      ),
    },
    {
      field: 'rate',
      headerName: 'Rate',
      type: 'number',
      // "10.5 MiB/s" whole.
      width: 100,
      // A right-aligned header puts its menu button on the left, where it reads as a separate
      // unlabeled column (as in the file browser); a click on the header still sorts.
      disableColumnMenu: true,
      valueFormatter: (value: number, row) => (ACTIVE.has(row.status) ? formatRate(value) : '—'),
    },
    {
      field: 'etaSeconds',
      headerName: 'ETA',
      type: 'number',
      width: 80,
      disableColumnMenu: true,
      valueFormatter: (value: number | undefined, row) =>
        ACTIVE.has(row.status) ? formatClock(value) : '—',
    },
    {
      field: 'createdAt',
      headerName: 'Started',
      width: 140,
      valueGetter: (_value, row) => row.startedAt ?? row.createdAt,
      valueFormatter: (value: string) => formatShortTime(value, now),
    },
    {
      field: 'duration',
      headerName: 'Duration',
      type: 'number',
      width: 115,
      disableColumnMenu: true,
      valueGetter: (_value, row) => durationSeconds(row, now) ?? 0,
      valueFormatter: (value: number) => formatClock(value),
    },
  ];
}

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
  durationSeconds,
  formatClock,
  formatShortTime,
  formatRate,
  percentOf,
  jobTitle,
} from './job-text';

const ACTIVE = new Set<Job['status']>(['queued', 'running']);

/** Columns of the job controller. `now` keeps running jobs' durations moving between events. */
export function jobColumns(now: number): GridColDef<Job>[] {
  return [
    {
      field: 'title',
      headerName: 'Job',
      flex: 1,
      minWidth: 180,
      renderCell: ({ row }) => (
        <Tooltip title={jobTitle(row)} enterDelay={600}>
          <Typography variant="body2" noWrap sx={{ fontWeight: 600, lineHeight: '52px' }}>
            {jobTitle(row)}
          </Typography>
        </Tooltip>
      ),
    },
    {
      field: 'kind',
      headerName: 'Kind',
      width: 80,
      valueFormatter: (value: Job['kind']) => KIND_LABELS[value],
    },
    {
      field: 'status',
      headerName: 'Status',
      width: 140,
      valueFormatter: (value: Job['status']) => STATUS_LABELS[value],
      renderCell: ({ row }) => <JobStatusChip status={row.status} />,
    },
    { field: 'phase', headerName: 'Phase', width: 120 },
    {
      field: 'progress',
      headerName: 'Progress',
      width: 150,
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
      width: 90,
      valueFormatter: (value: number, row) => (ACTIVE.has(row.status) ? formatRate(value) : '—'),
    },
    {
      field: 'etaSeconds',
      headerName: 'ETA',
      type: 'number',
      width: 80,
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
      width: 90,
      valueGetter: (_value, row) => durationSeconds(row, now) ?? 0,
      valueFormatter: (value: number) => formatClock(value),
    },
  ];
}

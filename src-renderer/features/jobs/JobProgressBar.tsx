import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import type { JobStatus } from '../../../shared/domain/jobs';
import { percentOf } from './job-text';

const BAR_COLORS: Record<JobStatus, 'primary' | 'success' | 'warning' | 'error' | 'inherit'> = {
  queued: 'primary',
  running: 'primary',
  succeeded: 'success',
  partial: 'warning',
  failed: 'error',
  cancelled: 'inherit',
};

/**
 * A bar with its percentage beside it. While the total is not known yet (a job still starting)
 * a running bar moves without a number rather than sitting at a misleading 0 %.
 */
export function JobProgressBar(props: {
  status: JobStatus;
  bytesDone: number;
  bytesTotal: number;
  /** What the bar measures, for screen readers ("Progress of Verify default"). */
  label: string;
}) {
  const { status, bytesDone, bytesTotal, label } = props;
  const ended = status !== 'running' && status !== 'queued';
  const percent = percentOf(bytesDone, bytesTotal) ?? (status === 'succeeded' ? 100 : undefined);
  const indeterminate = percent === undefined && !ended;
  if (percent === undefined && ended) {
    // Ended before its size was known: an empty or full bar would both claim something false.
    return (
      <Typography variant="caption" color="text.secondary" aria-label={`${label}: not measured`}>
        —
      </Typography>
    );
  }
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, width: '100%' }}>
      <LinearProgress
        aria-label={label}
        variant={indeterminate ? 'indeterminate' : 'determinate'}
        value={percent ?? 0}
        color={BAR_COLORS[status]}
        sx={{ flexGrow: 1, height: 8, borderRadius: 4 }}
      />
      <Typography
        variant="caption"
        sx={{ minWidth: 36, textAlign: 'right', fontVariantNumeric: 'tabular-nums' }}
      >
        {percent === undefined ? '' : `${percent} %`}
      </Typography>
    </Box>
  );
}

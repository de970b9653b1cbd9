import Chip, { type ChipProps } from '@mui/material/Chip';
import type { JobStatus } from '../../../shared/domain/jobs';
import { STATUS_LABELS } from './job-text';

const COLORS: Record<JobStatus, ChipProps['color']> = {
  queued: 'default',
  running: 'info',
  succeeded: 'success',
  partial: 'warning',
  failed: 'error',
  cancelled: 'default',
};

/** `label` overrides the status word (a task waiting for a free slot says so). */
export function JobStatusChip({ status, label }: { status: JobStatus; label?: string }) {
  return (
    <Chip
      size="small"
      color={COLORS[status]}
      variant={status === 'queued' || status === 'cancelled' ? 'outlined' : 'filled'}
      label={label ?? STATUS_LABELS[status]}
    />
  );
}

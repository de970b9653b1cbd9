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

export function JobStatusChip({ status }: { status: JobStatus }) {
  return (
    <Chip
      size="small"
      color={COLORS[status]}
      variant={status === 'queued' || status === 'cancelled' ? 'outlined' : 'filled'}
      label={STATUS_LABELS[status]}
    />
  );
}

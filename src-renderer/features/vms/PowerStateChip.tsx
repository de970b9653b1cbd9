import Chip, { type ChipProps } from '@mui/material/Chip';
import type { PowerState } from '../../../shared/domain/vm';
import { POWER_STATE_LABELS } from './vm-text';

const COLORS: Record<PowerState, ChipProps['color']> = {
  running: 'success',
  blocked: 'info',
  paused: 'warning',
  shutdown: 'warning',
  shutoff: 'default',
  crashed: 'error',
  suspended: 'warning',
  unknown: 'default',
};

export function PowerStateChip({ state }: { state: PowerState }) {
  return (
    <Chip
      size="small"
      color={COLORS[state]}
      variant={state === 'shutoff' || state === 'unknown' ? 'outlined' : 'filled'}
      label={POWER_STATE_LABELS[state]}
    />
  );
}

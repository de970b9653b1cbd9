import Box from '@mui/material/Box';
import Chip, { type ChipProps } from '@mui/material/Chip';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import type { GridColDef } from '@mui/x-data-grid';
import type { VirtualMachine } from '../../../shared/domain/vm';
import {
  BACKUP_STATE_LABELS,
  formatAge,
  lastBackupSortValue,
  lastBackupTime,
  lastBackupTooltip,
  type BackupState,
  type VmBackupStatus,
} from './backup-status';
import { statusOf } from './use-backup-status';
import { fit } from './vm-columns';

const CHIP_COLORS: Record<BackupState, ChipProps['color']> = {
  ok: 'success',
  warning: 'warning',
  failed: 'error',
  never: 'default',
};

function LastBackupCell({ status, now }: { status: VmBackupStatus; now: number }) {
  const chip = (
    <Chip
      size="small"
      color={CHIP_COLORS[status.state]}
      variant={status.state === 'never' ? 'outlined' : 'filled'}
      label={BACKUP_STATE_LABELS[status.state]}
    />
  );
  const time = lastBackupTime(status);
  // Chip above its age, as the other two-line cells: side by side, "Failed" pushed the age into
  // an ellipsis ("9 min…").
  return (
    <Box
      sx={{
        display: 'flex',
        flexDirection: 'column',
        alignItems: 'flex-start',
        justifyContent: 'center',
        gap: 0.25,
        height: '100%',
        minWidth: 0,
      }}
    >
      {status.detail === null ? chip : <Tooltip title={status.detail}>{chip}</Tooltip>}
      {time !== null && (
        <Tooltip title={lastBackupTooltip(status, (iso) => new Date(iso).toLocaleString())}>
          <Typography variant="caption" color="text.secondary" component="span" noWrap>
            {formatAge(time, now)}
          </Typography>
        </Tooltip>
      )}
    </Box>
  );
}

/**
 * "Last backup": the newest backup's verdict and its age (of the failure when it failed, else of
 * the newest point; the last good point is in the tooltip); sorts by that time.
 */
export function lastBackupColumn(
  statuses: Map<string, VmBackupStatus>,
  now: number,
): GridColDef<VirtualMachine> {
  return {
    field: 'lastBackup',
    headerName: 'Last backup',
    ...fit(135, 135),
    valueGetter: (_value, row) => lastBackupSortValue(statusOf(statuses, row.uuid)),
    renderCell: ({ row }) => <LastBackupCell status={statusOf(statuses, row.uuid)} now={now} />,
  };
}

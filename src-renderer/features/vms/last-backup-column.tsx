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
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, height: '100%' }}>
      {status.detail === null ? chip : <Tooltip title={status.detail}>{chip}</Tooltip>}
      {status.lastPointTime !== null && (
        <Tooltip title={new Date(status.lastPointTime).toLocaleString()}>
          <Typography variant="body2" component="span" noWrap>
            {formatAge(status.lastPointTime, now)}
          </Typography>
        </Tooltip>
      )}
    </Box>
  );
}

/** "Last backup": the newest point's age and the newest backup's verdict; sorts by time. */
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

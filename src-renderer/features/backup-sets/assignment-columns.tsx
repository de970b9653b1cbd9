import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import PanToolIcon from '@mui/icons-material/PanToolOutlined';
import type { GridColDef } from '@mui/x-data-grid';
import type { VmAssignment } from '../../../shared/domain/backup-set';
import { PowerState } from '../../../shared/domain/vm';
import { POWER_STATE_LABELS } from '../vms/vm-text';

/** Assignments keep the state as the engine last stored it: a plain string. */
function powerStateLabel(state: string): string {
  const known = PowerState.safeParse(state);
  return known.success ? POWER_STATE_LABELS[known.data] : state;
}

function TwoLines({ primary, secondary }: { primary: string; secondary?: string }) {
  return (
    <Box
      sx={{ display: 'flex', flexDirection: 'column', justifyContent: 'center', height: '100%' }}
    >
      <Typography variant="body2" noWrap sx={{ fontWeight: 600 }}>
        {primary}
      </Typography>
      {secondary !== undefined && secondary !== '' && (
        <Typography variant="caption" color="text.secondary" noWrap>
          {secondary}
        </Typography>
      )}
    </Box>
  );
}

const STATUS_LABELS: Record<VmAssignment['status'], string> = {
  new: 'New',
  present: 'Present',
  vanished: 'Vanished',
};

function StatusChip({ row }: { row: VmAssignment }) {
  const color = row.status === 'new' ? 'info' : row.status === 'vanished' ? 'warning' : 'success';
  const title =
    row.status === 'vanished'
      ? `Not reported by its hypervisor since ${new Date(row.lastSeen).toLocaleString()}`
      : `First seen ${new Date(row.firstSeen).toLocaleString()}`;
  return (
    <Tooltip title={title}>
      <Chip
        size="small"
        color={color}
        variant={row.status === 'present' ? 'outlined' : 'filled'}
        label={STATUS_LABELS[row.status]}
      />
    </Tooltip>
  );
}

function SubclientCell({ row }: { row: VmAssignment }) {
  if (row.subclientId === null) {
    return <Chip size="small" color="error" variant="outlined" label="Not assigned" />;
  }
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.75, height: '100%' }}>
      <Typography variant="body2" sx={{ fontWeight: 600 }} noWrap>
        {row.subclientName ?? '(deleted subclient)'}
      </Typography>
      {row.manual && (
        <Tooltip title="Assigned manually: stays here whatever the rules say">
          <PanToolIcon sx={{ fontSize: 16, color: 'text.secondary' }} aria-label="manual" />
        </Tooltip>
      )}
    </Box>
  );
}

/** FIG. 5B: VM host | VM | subclient, plus why and whether the VM is still there. */
export const ASSIGNMENT_COLUMNS: GridColDef<VmAssignment>[] = [
  {
    field: 'host',
    headerName: 'VM host',
    flex: 0.9,
    minWidth: 150,
    valueGetter: (_value, row) => `${row.hypervisorName} ${row.host}`,
    renderCell: ({ row }) => (
      <TwoLines
        primary={row.hypervisorName}
        secondary={row.host !== row.hypervisorName ? row.host : undefined}
      />
    ),
  },
  {
    field: 'vmName',
    headerName: 'VM',
    flex: 1,
    minWidth: 160,
    renderCell: ({ row }) => (
      <TwoLines primary={row.vmName} secondary={powerStateLabel(row.powerState)} />
    ),
  },
  {
    field: 'subclientName',
    headerName: 'Subclient',
    flex: 0.8,
    minWidth: 140,
    valueGetter: (_value, row) => row.subclientName ?? 'Not assigned',
    renderCell: ({ row }) => <SubclientCell row={row} />,
  },
  {
    field: 'reason',
    headerName: 'Reason',
    flex: 2.4,
    minWidth: 280,
    // The reason wraps onto a second line (the row is 52 px high) rather than being cut: it is
    // what explains the placement ("…added to the default subclient (automatic add is on)").
    renderCell: ({ row }) => (
      <Box sx={{ display: 'flex', alignItems: 'center', height: '100%' }}>
        <Tooltip title={row.reason}>
          <Typography
            variant="body2"
            color="text.secondary"
            sx={{
              lineHeight: 1.3,
              whiteSpace: 'normal',
              display: '-webkit-box',
              WebkitBoxOrient: 'vertical',
              WebkitLineClamp: 2,
              overflow: 'hidden',
            }}
          >
            {row.reason}
          </Typography>
        </Tooltip>
      </Box>
    ),
  },
  {
    field: 'status',
    headerName: 'Status',
    width: 110,
    valueFormatter: (value: VmAssignment['status']) => STATUS_LABELS[value],
    renderCell: ({ row }) => <StatusChip row={row} />,
  },
];

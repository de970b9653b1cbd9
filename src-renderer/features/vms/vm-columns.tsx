import Box from '@mui/material/Box';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import type { GridColDef } from '@mui/x-data-grid';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { formatBytes } from '../../lib/format';
import { PowerStateChip } from './PowerStateChip';
import { POWER_STATE_LABELS, backedUpDisks, describeDisk, diskTargets, osLabel } from './vm-text';

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

function DisksCell({ vm }: { vm: VirtualMachine }) {
  const disks = backedUpDisks(vm);
  if (disks.length === 0) return <>none</>;
  return (
    <Tooltip
      title={
        <Box component="ul" sx={{ m: 0, pl: 2 }}>
          {disks.map((disk) => (
            <li key={disk.target}>{describeDisk(disk)}</li>
          ))}
        </Box>
      }
    >
      <span>
        {disks.length} · {diskTargets(vm)}
      </span>
    </Tooltip>
  );
}

/** Columns of the VM inventory. Sizes sort by bytes, not by their text. */
export const VM_COLUMNS: GridColDef<VirtualMachine>[] = [
  {
    field: 'name',
    headerName: 'Name',
    flex: 1.3,
    minWidth: 150,
    renderCell: ({ row }) => <TwoLines primary={row.name} secondary={row.title} />,
  },
  {
    field: 'host',
    headerName: 'Host',
    flex: 1,
    minWidth: 130,
    valueGetter: (_value, row) => `${row.hypervisorName} ${row.host}`,
    renderCell: ({ row }) => <TwoLines primary={row.hypervisorName} secondary={row.host} />,
  },
  {
    field: 'powerState',
    headerName: 'State',
    width: 115,
    valueFormatter: (value: VirtualMachine['powerState']) => POWER_STATE_LABELS[value],
    renderCell: ({ row }) => <PowerStateChip state={row.powerState} />,
  },
  { field: 'vcpus', headerName: 'vCPU', type: 'number', width: 80 },
  {
    field: 'memoryBytes',
    headerName: 'Memory',
    type: 'number',
    width: 110,
    valueFormatter: (value: number) => formatBytes(value),
  },
  {
    field: 'disks',
    headerName: 'Disks',
    width: 120,
    valueGetter: (_value, row) => backedUpDisks(row).length,
    renderCell: ({ row }) => <DisksCell vm={row} />,
  },
  {
    field: 'provisionedBytes',
    headerName: 'Provisioned',
    type: 'number',
    width: 120,
    valueFormatter: (value: number) => formatBytes(value),
  },
  {
    field: 'os',
    headerName: 'OS',
    flex: 0.8,
    minWidth: 110,
    valueGetter: (_value, row) => osLabel(row),
  },
];

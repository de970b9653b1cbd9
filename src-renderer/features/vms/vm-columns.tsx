import Box from '@mui/material/Box';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import type { GridColDef } from '@mui/x-data-grid';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { formatBytes } from '../../lib/format';
import { PowerStateChip } from './PowerStateChip';
import { POWER_STATE_LABELS, backedUpDisks, describeDisk, diskTargets, osLabel } from './vm-text';

/** A bold line over a quiet one; both whole on hover when the column cuts them short. */
function TwoLines(props: { primary: string; secondary?: string; bold?: boolean }) {
  const { primary, secondary, bold = true } = props;
  return (
    <Box
      title={secondary ? `${primary} — ${secondary}` : primary}
      sx={{ display: 'flex', flexDirection: 'column', justifyContent: 'center', height: '100%' }}
    >
      <Typography variant="body2" noWrap sx={{ fontWeight: bold ? 600 : undefined }}>
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

/**
 * The OS with its parenthesized part on a second line: "Unknown" over "detected by a backup",
 * "Debian GNU/Linux 12" over "bookworm", so a narrow column still shows the name.
 */
function OsCell({ vm }: { vm: VirtualMachine }) {
  const label = osLabel(vm);
  const parts = /^(.+?)\s*\(([^()]+)\)$/.exec(label);
  return parts ? (
    <TwoLines primary={parts[1] ?? label} secondary={parts[2]} bold={false} />
  ) : (
    <TwoLines primary={label} bold={false} />
  );
}

/**
 * How wide a column is. The widths of the grid's columns add up to the grid in a 1400 px window,
 * with room for a header's sort and menu buttons ("vCPU" and "Provisioned" stay whole under the
 * pointer); narrower, each shrinks in proportion down to `minWidth` (its header and usual
 * content at rest), so the grid fits a 1280 px window without scrolling sideways.
 */
export function fit(width: number, minWidth: number): Pick<GridColDef, 'flex' | 'minWidth'> {
  return { flex: width, minWidth };
}

/**
 * Columns of the VM inventory. Sizes sort by bytes, not by their text. Right-aligned number
 * headers have no menu: it would sit on their left, where it reads as a separate unlabeled
 * column (as in the file browser); a click on the header still sorts.
 */
export const VM_COLUMNS: GridColDef<VirtualMachine>[] = [
  {
    field: 'name',
    headerName: 'Name',
    ...fit(136, 135),
    renderCell: ({ row }) => <TwoLines primary={row.name} secondary={row.title} />,
  },
  {
    field: 'host',
    headerName: 'Host',
    ...fit(105, 105),
    valueGetter: (_value, row) => `${row.hypervisorName} ${row.host}`,
    renderCell: ({ row }) => <TwoLines primary={row.hypervisorName} secondary={row.host} />,
  },
  {
    field: 'powerState',
    headerName: 'State',
    ...fit(100, 90),
    valueFormatter: (value: VirtualMachine['powerState']) => POWER_STATE_LABELS[value],
    renderCell: ({ row }) => <PowerStateChip state={row.powerState} />,
  },
  {
    field: 'vcpus',
    headerName: 'vCPU',
    type: 'number',
    ...fit(90, 65),
    disableColumnMenu: true,
  },
  {
    field: 'memoryBytes',
    headerName: 'Memory',
    type: 'number',
    ...fit(108, 80),
    disableColumnMenu: true,
    valueFormatter: (value: number) => formatBytes(value),
  },
  {
    field: 'disks',
    headerName: 'Disks',
    ...fit(105, 105),
    valueGetter: (_value, row) => backedUpDisks(row).length,
    renderCell: ({ row }) => <DisksCell vm={row} />,
  },
  {
    field: 'provisionedBytes',
    headerName: 'Provisioned',
    type: 'number',
    ...fit(132, 105),
    disableColumnMenu: true,
    valueFormatter: (value: number) => formatBytes(value),
  },
  {
    field: 'os',
    headerName: 'OS',
    ...fit(170, 135),
    valueGetter: (_value, row) => osLabel(row),
    renderCell: ({ row }) => <OsCell vm={row} />,
  },
];

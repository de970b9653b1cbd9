import type { ReactNode } from 'react';
import Box from '@mui/material/Box';
import Divider from '@mui/material/Divider';
import Drawer from '@mui/material/Drawer';
import IconButton from '@mui/material/IconButton';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import CloseIcon from '@mui/icons-material/Close';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { formatBytes } from '../../lib/format';
import { MONO_FONT_STACK } from '../../theme/theme';
import { useStore } from '../../store';
import { vmRowId } from '../../store/vms-slice';
import { VmBackupsSection } from '../points/VmBackupsSection';
import { PowerStateChip } from './PowerStateChip';
import { VmProtectionLine } from './VmProtectionLine';
import { osLabel } from './vm-text';

const mono = { fontFamily: MONO_FONT_STACK, fontSize: 12, wordBreak: 'break-all' } as const;

/** Everything the connector knows about one VM: what a disk-level backup will copy. */
export function VmDetailsDrawer() {
  const selectedId = useStore((s) => s.selectedVmId);
  const vm = useStore((s) => s.vms.find((v) => vmRowId(v) === s.selectedVmId));
  const selectVm = useStore((s) => s.selectVm);
  const close = () => selectVm(null);
  return (
    <Drawer
      anchor="right"
      open={selectedId !== null && vm !== undefined}
      onClose={close}
      // Above the app bar, which sits above the permanent navigation drawer.
      sx={{ zIndex: (theme) => theme.zIndex.modal }}
      slotProps={{ paper: { sx: { width: { xs: '100%', md: 640 } } } }}
    >
      {vm !== undefined && <VmDetails vm={vm} onClose={close} />}
    </Drawer>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Box component="section" sx={{ mt: 3 }}>
      <Typography variant="subtitle1" component="h3" sx={{ fontWeight: 600, mb: 1 }}>
        {title}
      </Typography>
      {children}
    </Box>
  );
}

function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <Table size="small">
      <TableBody>
        {rows.map(([label, value]) => (
          <TableRow key={label}>
            <TableCell component="th" scope="row" sx={{ width: 180, color: 'text.secondary' }}>
              {label}
            </TableCell>
            <TableCell>{value}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function VmDetails({ vm, onClose }: { vm: VirtualMachine; onClose(): void }) {
  const metadata = Object.entries(vm.metadata);
  return (
    <Box sx={{ p: 3 }} role="region" aria-label={`Details of ${vm.name}`}>
      <Stack direction="row" sx={{ alignItems: 'center', gap: 2 }}>
        <Box sx={{ flexGrow: 1, minWidth: 0 }}>
          <Typography variant="h6" component="h2" noWrap>
            {vm.name}
          </Typography>
          {vm.title !== undefined && (
            <Typography variant="body2" color="text.secondary">
              {vm.title}
            </Typography>
          )}
        </Box>
        <PowerStateChip state={vm.powerState} />
        <IconButton aria-label="Close details" onClick={onClose}>
          <CloseIcon />
        </IconButton>
      </Stack>
      <Divider sx={{ mt: 2 }} />
      <Section title="Backups">
        <Box sx={{ mb: 2 }}>
          <VmProtectionLine vm={vm} />
        </Box>
        <VmBackupsSection key={vm.uuid} vm={vm} />
      </Section>
      <Section title="Summary">
        <Facts
          rows={[
            ['Hypervisor', vm.hypervisorName],
            ['Host', vm.host],
            ['vCPU', vm.vcpus],
            ['Memory', formatBytes(vm.memoryBytes)],
            ['Provisioned', formatBytes(vm.provisionedBytes)],
            ['Operating system', osLabel(vm)],
            ['Firmware', vm.firmware ?? '—'],
            [
              'UUID',
              <Box component="span" sx={mono}>
                {vm.uuid}
              </Box>,
            ],
          ]}
        />
      </Section>
      <Section title={`Disks (${vm.disks.length})`}>
        {vm.disks.length === 0 ? (
          <Typography color="text.secondary">No disks configured.</Typography>
        ) : (
          <Table size="small" aria-label="Disks">
            <TableHead>
              <TableRow>
                <TableCell>Target</TableCell>
                <TableCell>Device</TableCell>
                <TableCell>Format</TableCell>
                <TableCell align="right">Capacity</TableCell>
                <TableCell align="right">Allocated</TableCell>
                <TableCell>Source</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {vm.disks.map((disk) => (
                <TableRow key={disk.target}>
                  <TableCell sx={{ fontWeight: 600 }}>
                    {disk.target}
                    <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
                      {disk.bus}
                    </Typography>
                  </TableCell>
                  <TableCell>
                    {disk.device}
                    {disk.readonly && ' (read-only)'}
                  </TableCell>
                  <TableCell>{disk.format}</TableCell>
                  <TableCell align="right">{formatBytes(disk.capacityBytes)}</TableCell>
                  <TableCell align="right">
                    {disk.allocationBytes === undefined ? '—' : formatBytes(disk.allocationBytes)}
                  </TableCell>
                  <TableCell sx={mono}>{disk.path}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Section>
      <Section title={`Network interfaces (${vm.nics.length})`}>
        {vm.nics.length === 0 ? (
          <Typography color="text.secondary">No network interfaces.</Typography>
        ) : (
          <Table size="small" aria-label="Network interfaces">
            <TableHead>
              <TableRow>
                <TableCell>MAC</TableCell>
                <TableCell>Type</TableCell>
                <TableCell>Source</TableCell>
                <TableCell>Model</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {vm.nics.map((nic) => (
                <TableRow key={nic.mac}>
                  <TableCell sx={mono}>{nic.mac}</TableCell>
                  <TableCell>{nic.type}</TableCell>
                  <TableCell>{nic.source ?? '—'}</TableCell>
                  <TableCell>{nic.model ?? '—'}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Section>
      <Section title="Metadata">
        {metadata.length === 0 ? (
          <Typography color="text.secondary">No metadata recorded on the hypervisor.</Typography>
        ) : (
          <Facts
            rows={metadata.map(([key, value]) => [
              key,
              <Box component="span" sx={mono}>
                {value}
              </Box>,
            ])}
          />
        )}
      </Section>
      <Section title="Description">
        <Typography
          color={vm.description ? 'text.primary' : 'text.secondary'}
          sx={{ whiteSpace: 'pre-wrap' }}
        >
          {vm.description || 'No description.'}
        </Typography>
      </Section>
    </Box>
  );
}

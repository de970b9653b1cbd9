import { useState } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import ComputerIcon from '@mui/icons-material/Computer';
import SettingsBackupRestoreIcon from '@mui/icons-material/SettingsBackupRestore';
import type { RestorePoint } from '../../../shared/domain/jobs';
import { formatBytes } from '../../lib/format';
import { useStore } from '../../store';
import { RestoreDiskDialog } from '../points/RestoreDiskDialog';
import { PointSwitcher } from './PointSwitcher';
import { VmRestoreDialog } from './VmRestoreDialog';

/** FIG. 14A/B "Restore as virtual machines / virtual disks" for the chosen point. */
export function VmDisksPanel(props: {
  vmUuid: string;
  point: RestorePoint;
  points: RestorePoint[];
}) {
  const { vmUuid, point, points } = props;
  const setPoint = useStore((s) => s.setRestorePoint);
  const [restoringVm, setRestoringVm] = useState(false);
  const [restoringDisk, setRestoringDisk] = useState<string | null>(null);
  const os = point.guestOs?.name ?? point.guestOs?.family;

  return (
    <Stack spacing={2}>
      <PointSwitcher points={points} pointId={point.id} onChange={setPoint} />
      <Paper variant="outlined" sx={{ p: 2 }}>
        <Stack direction="row" sx={{ alignItems: 'center', gap: 2, flexWrap: 'wrap' }}>
          <ComputerIcon color="action" aria-hidden />
          <Box sx={{ flex: '1 1 320px', minWidth: 0 }}>
            <Typography variant="subtitle1" component="h3">
              The whole virtual machine
            </Typography>
            <Typography variant="body2" color="text.secondary">
              {point.disks.length === 1 ? '1 disk' : `${point.disks.length} disks`} ·{' '}
              {formatBytes(point.logicalBytes)}
              {os !== undefined && os !== 'other' ? ` · ${os}` : ''} · defined on a hypervisor you
              choose, under a new name or in place of the original
            </Typography>
          </Box>
          <Button
            variant="contained"
            startIcon={<SettingsBackupRestoreIcon />}
            onClick={() => setRestoringVm(true)}
          >
            Restore VM…
          </Button>
        </Stack>
      </Paper>
      <Paper variant="outlined" sx={{ p: 2 }}>
        <Typography variant="subtitle1" component="h3" sx={{ mb: 1 }}>
          Virtual disks
        </Typography>
        <Table size="small" aria-label={`Disks of ${point.vmName}`}>
          <TableHead>
            <TableRow>
              <TableCell>Disk</TableCell>
              <TableCell align="right">Size</TableCell>
              <TableCell align="right">Data</TableCell>
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {point.disks.map((disk) => (
              <TableRow key={disk.name} hover>
                <TableCell sx={{ fontWeight: 500 }}>{disk.name}</TableCell>
                <TableCell align="right">{formatBytes(disk.sizeBytes)}</TableCell>
                <TableCell align="right">{formatBytes(disk.dataBytes)}</TableCell>
                <TableCell align="right">
                  <Button
                    size="small"
                    startIcon={<SettingsBackupRestoreIcon />}
                    onClick={() => setRestoringDisk(disk.name)}
                    aria-label={`Restore disk ${disk.name}`}
                  >
                    Restore…
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Paper>
      {restoringVm && (
        <VmRestoreDialog vmUuid={vmUuid} point={point} onClose={() => setRestoringVm(false)} />
      )}
      {restoringDisk !== null && (
        <RestoreDiskDialog
          vmUuid={vmUuid}
          point={point}
          initialDisk={restoringDisk}
          onClose={() => setRestoringDisk(null)}
          onStarted={() => undefined}
        />
      )}
    </Stack>
  );
}

import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import SettingsBackupRestoreIcon from '@mui/icons-material/SettingsBackupRestore';
import type { PointVolume } from '../../../shared/domain/files';
import type { RestorePoint } from '../../../shared/domain/jobs';
import { describeError } from '../../api/api-error';
import { formatBytes } from '../../lib/format';
import { useStore } from '../../store';
import { PointSwitcher } from './PointSwitcher';
import { useEngineQuery } from './use-engine-query';
import { VolumeRestoreDialog } from './VolumeRestoreDialog';

/** FIG. 13A "Source volume": the volumes of the point, each restorable as a whole. */
export function VolumesPanel(props: {
  vmUuid: string;
  point: RestorePoint;
  points: RestorePoint[];
}) {
  const { vmUuid, point, points } = props;
  const setPoint = useStore((s) => s.setRestorePoint);
  const volumes = useEngineQuery('points.volumes', { vm: vmUuid, pointId: point.id });
  const [restoring, setRestoring] = useState<PointVolume | null>(null);
  const list = volumes.data ?? [];

  return (
    <Paper variant="outlined" sx={{ p: 2 }}>
      <Stack direction="row" sx={{ alignItems: 'center', gap: 2, mb: 1.5, flexWrap: 'wrap' }}>
        <PointSwitcher points={points} pointId={point.id} onChange={setPoint} />
        <Typography variant="body2" color="text.secondary">
          A volume is restored whole, block for block, whether or not its file system was indexed.
        </Typography>
      </Stack>
      {volumes.loading && <LinearProgress aria-label="Loading volumes" />}
      {volumes.error !== null && (
        <Alert
          severity="error"
          action={
            <Button color="inherit" onClick={volumes.reload}>
              Retry
            </Button>
          }
        >
          Could not read the volumes of this point: {describeError(volumes.error)}
        </Alert>
      )}
      {volumes.data !== undefined && list.length === 0 && (
        <Typography color="text.secondary">
          No volume was found on the disks of this point. Restore a whole disk instead (type of
          intended restore: VMs/virtual disks).
        </Typography>
      )}
      {list.length > 0 && (
        <Table size="small" aria-label={`Volumes of ${point.vmName}`}>
          <TableHead>
            <TableRow>
              <TableCell>Volume</TableCell>
              <TableCell>Disk</TableCell>
              <TableCell>File system</TableCell>
              <TableCell>Label</TableCell>
              <TableCell>Mount point</TableCell>
              <TableCell align="right">Size</TableCell>
              <TableCell>Catalog</TableCell>
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {list.map((volume) => (
              <TableRow key={volume.name} hover>
                <TableCell sx={{ fontWeight: 500 }}>{volume.name}</TableCell>
                <TableCell>{volume.disk}</TableCell>
                <TableCell>{volume.filesystem ?? 'unknown'}</TableCell>
                <TableCell>{volume.label ?? ''}</TableCell>
                <TableCell>{volume.driveLetter ?? volume.mountPoint ?? ''}</TableCell>
                <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                  {formatBytes(volume.sizeBytes)}
                </TableCell>
                <TableCell>
                  {volume.indexed ? (
                    <Chip
                      size="small"
                      variant="outlined"
                      color="success"
                      label={volume.files === undefined ? 'Indexed' : `${volume.files} files`}
                    />
                  ) : (
                    <Tooltip title={volume.error ?? 'Not indexed'}>
                      <Chip size="small" variant="outlined" label="Not indexed" />
                    </Tooltip>
                  )}
                </TableCell>
                <TableCell align="right">
                  <Button
                    size="small"
                    startIcon={<SettingsBackupRestoreIcon />}
                    onClick={() => setRestoring(volume)}
                    aria-label={`Restore volume ${volume.name}`}
                  >
                    Restore…
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {restoring !== null && (
        <VolumeRestoreDialog
          vmUuid={vmUuid}
          point={point}
          volume={restoring}
          onClose={() => setRestoring(null)}
        />
      )}
    </Paper>
  );
}

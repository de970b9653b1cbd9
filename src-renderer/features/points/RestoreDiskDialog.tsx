import { useId, useState, type FormEvent } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { Job, RestorePoint } from '../../../shared/domain/jobs';
import { ApiError, describeError } from '../../api/api-error';
import { formatBytes } from '../../lib/format';
import { useStore } from '../../store';
import { formatLocalTime } from '../jobs/job-text';

/** FIG. 14B in its simplest form: one virtual disk of a point, as a raw image file. */
export function RestoreDiskDialog(props: {
  vmUuid: string;
  point: RestorePoint;
  onClose(): void;
  onStarted(job: Job): void;
}) {
  const { vmUuid, point, onClose, onStarted } = props;
  const restoreDisk = useStore((s) => s.restoreDisk);
  const [disk, setDisk] = useState(point.disks[0]?.name ?? '');
  const [dest, setDest] = useState('');
  const [overwrite, setOverwrite] = useState(false);
  const [destError, setDestError] = useState<string | null>(null);
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const titleId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const path = dest.trim();
    if (path === '') {
      setDestError('Enter the path of the image file to write');
      return;
    }
    setBusy(true);
    setDestError(null);
    setGeneral(null);
    try {
      onStarted(await restoreDisk({ vm: vmUuid, pointId: point.id, disk, dest: path, overwrite }));
      onClose();
    } catch (err) {
      if (err instanceof ApiError && err.details?.['field'] === 'dest') setDestError(err.message);
      else setGeneral(describeError(err));
      setBusy(false);
    }
  }

  return (
    <Dialog
      open
      onClose={() => {
        if (!busy) onClose();
      }}
      maxWidth="sm"
      fullWidth
      aria-labelledby={titleId}
    >
      <Box component="form" noValidate onSubmit={(e) => void submit(e)}>
        <DialogTitle id={titleId}>Restore a disk of {point.vmName}</DialogTitle>
        <DialogContent>
          <DialogContentText sx={{ mb: 2 }}>
            From the {point.type} restore point of {formatLocalTime(point.time)}. The disk is
            written as a raw image file on the machine where the Hyperkeep engine runs; the VM
            itself is not touched.
          </DialogContentText>
          <Stack spacing={2}>
            <TextField
              select
              label="Disk"
              value={disk}
              onChange={(e) => setDisk(e.target.value)}
              disabled={busy}
              fullWidth
            >
              {point.disks.map((d) => (
                <MenuItem key={d.name} value={d.name}>
                  {d.name} — {formatBytes(d.sizeBytes)} ({formatBytes(d.dataBytes)} of data)
                </MenuItem>
              ))}
            </TextField>
            <TextField
              label="Destination file"
              value={dest}
              onChange={(e) => {
                setDest(e.target.value);
                setDestError(null);
              }}
              placeholder={`/var/tmp/${point.vmName}-${disk}.raw`}
              error={destError !== null}
              helperText={destError ?? 'Full path of the raw image to write; its folder must exist'}
              disabled={busy}
              required
              autoFocus
              fullWidth
              slotProps={{ htmlInput: { spellCheck: false, autoComplete: 'off' } }}
            />
            <FormControlLabel
              control={
                <Checkbox
                  checked={overwrite}
                  onChange={(e) => setOverwrite(e.target.checked)}
                  disabled={busy}
                />
              }
              label="Overwrite the file if it exists"
            />
            {general !== null && <Alert severity="error">{general}</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={busy || disk === ''}>
            {busy ? 'Starting…' : 'Restore'}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}

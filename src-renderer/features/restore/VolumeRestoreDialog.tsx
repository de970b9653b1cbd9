import { useId, useState } from 'react';
import Alert from '@mui/material/Alert';
import DialogContentText from '@mui/material/DialogContentText';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormLabel from '@mui/material/FormLabel';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { PointVolume } from '../../../shared/domain/files';
import type { RestorePoint } from '../../../shared/domain/jobs';
import { useStore } from '../../store';
import { formatPointTime } from './browse-time';
import { volumeDetail } from './FolderTree';
import {
  ImageFileFields,
  extensionOf,
  imageFileError,
  type ImageFileValue,
} from './ImageFileFields';
import { RestoreDialogFrame } from './RestoreDialogFrame';
import { suggestedDestination } from './suggested-destination';
import { useDialogSubmit, type FieldErrors } from '../../shell/use-dialog-submit';

type Target = 'files' | 'device';
const FIELDS = ['dest', 'device', 'confirmDevice'] as const;
type Field = (typeof FIELDS)[number];

/** Why a device path cannot be used, or null. The engine itself refuses mounted devices. */
export function devicePathError(device: string): string | null {
  const trimmed = device.trim();
  if (trimmed === '') return 'Enter the device to overwrite, such as /dev/sdb1';
  if (!trimmed.startsWith('/dev/') && !/^\\\\\.\\/.test(trimmed))
    return 'A block device path starts with /dev/ (or \\\\.\\ on Windows)';
  return null;
}

/**
 * FIG. 13A/B: a volume of a point as an image file (raw, VHD, VHDX, VMDK, qcow2) into a folder of
 * this console's host, or written onto one of its block devices after the device path is typed
 * a second time: that overwrites everything on the device.
 */
export function VolumeRestoreDialog(props: {
  vmUuid: string;
  point: RestorePoint;
  volume: PointVolume;
  onClose(): void;
}) {
  const { vmUuid, point, volume, onClose } = props;
  const startRestore = useStore((s) => s.startRestore);
  const titleId = useId();
  const [target, setTarget] = useState<Target>('files');
  const restoreFolder = useStore((s) => s.appInfo?.restoreFolder);
  const [image, setImage] = useState<ImageFileValue>(() => ({
    format: 'vhdx',
    dest: suggestedDestination(restoreFolder, [point.vmName, volume.name], point.time, 'vhdx'),
    overwrite: false,
  }));
  const [device, setDevice] = useState('');
  const [confirmDevice, setConfirmDevice] = useState('');
  // An existing destination file is about the file field, whether or not the engine says so.
  const { errors, setErrors, general, busy, submit } = useDialogSubmit(FIELDS, (err) =>
    err.code === 'ALREADY_EXISTS' ? 'dest' : undefined,
  );
  const confirmed = device.trim() !== '' && confirmDevice.trim() === device.trim();

  function validate(): FieldErrors<Field> {
    const found: FieldErrors<Field> = {};
    if (target === 'files') {
      const problem = imageFileError(image.dest);
      if (problem !== null) found['dest'] = problem;
      return found;
    }
    const problem = devicePathError(device);
    if (problem !== null) found['device'] = problem;
    else if (!confirmed) found['confirmDevice'] = 'Type the same device path again';
    return found;
  }

  async function start() {
    if (target === 'files')
      await startRestore('restore.volume', {
        vm: vmUuid,
        pointId: point.id,
        volume: volume.name,
        format: image.format,
        dest: image.dest.trim(),
        overwrite: image.overwrite,
      });
    else
      await startRestore('restore.volumeToDevice', {
        vm: vmUuid,
        pointId: point.id,
        volume: volume.name,
        device: device.trim(),
        confirmDevice: confirmDevice.trim(),
      });
    onClose();
  }

  return (
    <RestoreDialogFrame
      titleId={titleId}
      title={<>Restore volume {volume.name}</>}
      busy={busy}
      onClose={onClose}
      onSubmit={(e) => void submit(e, validate, start)}
      submitLabel={target === 'files' ? 'Restore' : `Overwrite ${device.trim() || 'device'}`}
      submitColor={target === 'files' ? 'primary' : 'error'}
      submitDisabled={target !== 'files' && !confirmed}
    >
      <DialogContentText sx={{ mb: 2 }}>
        {volume.name} of {point.vmName} ({volumeDetail(volume)}), from the point of{' '}
        {formatPointTime(point.time)}.
      </DialogContentText>
      <Stack spacing={2}>
        <FormControl disabled={busy}>
          <FormLabel id={`${titleId}-as`}>Restore as</FormLabel>
          <RadioGroup
            row
            aria-labelledby={`${titleId}-as`}
            value={target}
            onChange={(e) => {
              setTarget(e.target.value as Target);
              setErrors({});
            }}
          >
            <FormControlLabel value="files" control={<Radio />} label="Image file" />
            <FormControlLabel value="device" control={<Radio />} label="Physical volume" />
          </RadioGroup>
        </FormControl>
        <TextField
          label="Destination computer"
          value="This console's host"
          disabled
          helperText="Where the Hyperkeep engine runs"
        />
        {target === 'files' ? (
          <ImageFileFields
            value={image}
            onChange={(next) => {
              setImage(next);
              setErrors({});
            }}
            destError={errors['dest'] ?? null}
            placeholder={`/var/tmp/${point.vmName}-${volume.name}.${extensionOf(image.format)}`}
            disabled={busy}
            autoFocus
          />
        ) : (
          <>
            <TextField
              label="Destination device"
              value={device}
              onChange={(e) => {
                setDevice(e.target.value);
                setErrors({});
              }}
              placeholder="/dev/sdb1"
              error={errors['device'] !== undefined}
              helperText={
                errors['device'] ??
                'A block device of this computer, at least as large as the volume; not mounted'
              }
              disabled={busy}
              required
              autoFocus
              slotProps={{ htmlInput: { spellCheck: false, autoComplete: 'off' } }}
            />
            <Alert severity="error" variant="outlined">
              Everything on {device.trim() || 'the device'} is overwritten with the volume{' '}
              {volume.name}. This cannot be undone.
            </Alert>
            <TextField
              label="Type the device path again to confirm"
              value={confirmDevice}
              onChange={(e) => {
                setConfirmDevice(e.target.value);
                setErrors({});
              }}
              error={errors['confirmDevice'] !== undefined}
              helperText={errors['confirmDevice'] ?? ' '}
              disabled={busy}
              required
              slotProps={{ htmlInput: { spellCheck: false, autoComplete: 'off' } }}
            />
          </>
        )}
        {general !== null && <Alert severity="error">{general}</Alert>}
      </Stack>
    </RestoreDialogFrame>
  );
}

import { useId, useState } from 'react';
import Alert from '@mui/material/Alert';
import DialogContentText from '@mui/material/DialogContentText';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormLabel from '@mui/material/FormLabel';
import MenuItem from '@mui/material/MenuItem';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { Job, RestorePoint } from '../../../shared/domain/jobs';
import { formatBytes } from '../../lib/format';
import { useStore } from '../../store';
import { formatLocalTime } from '../jobs/job-text';
import { HypervisorSelect, PoolSelect } from '../restore/DestinationFields';
import {
  ImageFileFields,
  extensionOf,
  imageFileError,
  type ImageFileValue,
} from '../restore/ImageFileFields';
import { RestoreDialogFrame } from '../restore/RestoreDialogFrame';
import { suggestedDestination } from '../restore/suggested-destination';
import { useDialogSubmit, type FieldErrors } from '../../shell/use-dialog-submit';

type Target = 'file' | 'pool';
const FIELDS = ['dest', 'hypervisorId', 'pool', 'volumeName'] as const;
type Field = (typeof FIELDS)[number];

/**
 * FIG. 14B: one virtual disk of a point, as an image file (raw, qcow2, VMDK, VHD, VHDX) on this
 * console's host, or as a new volume in a storage pool of a registered hypervisor.
 */
export function RestoreDiskDialog(props: {
  vmUuid: string;
  point: RestorePoint;
  initialDisk?: string;
  onClose(): void;
  onStarted(job: Job): void;
}) {
  const { vmUuid, point, onClose, onStarted } = props;
  const startRestore = useStore((s) => s.startRestore);
  const restoreFolder = useStore((s) => s.appInfo?.restoreFolder);
  const suggestion = (diskName: string, format: ImageFileValue['format']) =>
    suggestedDestination(restoreFolder, [point.vmName, diskName], point.time, extensionOf(format));
  const [disk, setDisk] = useState(props.initialDisk ?? point.disks[0]?.name ?? '');
  const [target, setTarget] = useState<Target>('file');
  const [image, setImage] = useState<ImageFileValue>(() => ({
    format: 'raw',
    dest: suggestion(disk, 'raw'),
    overwrite: false,
  }));
  const [hypervisorId, setHypervisorId] = useState('');
  const [pool, setPool] = useState('');
  const [poolFormat, setPoolFormat] = useState<'qcow2' | 'raw'>('qcow2');
  const [volumeName, setVolumeName] = useState(`${point.vmName}-${disk}-restored.qcow2`);
  // An existing file or volume is about its name field, whether or not the engine says so.
  const { errors, setErrors, general, busy, submit } = useDialogSubmit(FIELDS, (err) =>
    err.code === 'ALREADY_EXISTS' ? (target === 'file' ? 'dest' : 'volumeName') : undefined,
  );
  const titleId = useId();

  function validate(): FieldErrors<Field> {
    const found: FieldErrors<Field> = {};
    if (target === 'file') {
      const problem = imageFileError(image.dest);
      if (problem !== null) found['dest'] = problem;
    } else {
      if (hypervisorId === '') found['hypervisorId'] = 'Choose the hypervisor to restore to';
      if (pool === '') found['pool'] = 'Choose a storage pool';
      if (volumeName.trim() === '') found['volumeName'] = 'Enter the name of the new volume';
      else if (/[/\\]/.test(volumeName)) found['volumeName'] = 'A volume name has no slashes';
    }
    return found;
  }

  async function start() {
    const job =
      target === 'file'
        ? await startRestore('restore.disk', {
            vm: vmUuid,
            pointId: point.id,
            disk,
            format: image.format,
            dest: image.dest.trim(),
            overwrite: image.overwrite,
          })
        : await startRestore('restore.diskToPool', {
            vm: vmUuid,
            pointId: point.id,
            disk,
            hypervisorId,
            pool,
            volumeName: volumeName.trim(),
            format: poolFormat,
          });
    onStarted(job);
    onClose();
  }

  return (
    <RestoreDialogFrame
      titleId={titleId}
      title={<>Restore a disk of {point.vmName}</>}
      busy={busy}
      onClose={onClose}
      onSubmit={(e) => void submit(e, validate, start)}
      submitLabel="Restore"
      submitDisabled={disk === ''}
    >
      <DialogContentText sx={{ mb: 2 }}>
        From the {point.type} restore point of {formatLocalTime(point.time)}. The VM itself is not
        touched.
      </DialogContentText>
      <Stack spacing={2}>
        <TextField
          select
          label="Disk"
          value={disk}
          onChange={(e) => {
            const next = e.target.value;
            // The suggested file follows the disk; a path the person typed stays.
            if (image.dest === suggestion(disk, image.format))
              setImage({ ...image, dest: suggestion(next, image.format) });
            setDisk(next);
          }}
          disabled={busy}
          fullWidth
        >
          {point.disks.map((d) => (
            <MenuItem key={d.name} value={d.name}>
              {d.name} — {formatBytes(d.sizeBytes)} ({formatBytes(d.dataBytes)} of data)
            </MenuItem>
          ))}
        </TextField>
        <FormControl disabled={busy}>
          <FormLabel id={`${titleId}-as`}>Restore as</FormLabel>
          <RadioGroup
            row
            aria-labelledby={`${titleId}-as`}
            value={target}
            onChange={(e) => setTarget(e.target.value as Target)}
          >
            <FormControlLabel value="file" control={<Radio />} label="Image file" />
            <FormControlLabel value="pool" control={<Radio />} label="Volume in a storage pool" />
          </RadioGroup>
        </FormControl>
        {target === 'file' ? (
          <ImageFileFields
            value={image}
            onChange={(next) => {
              setImage(next);
              setErrors({});
            }}
            destError={errors['dest'] ?? null}
            placeholder={`/var/tmp/${point.vmName}-${disk}.${extensionOf(image.format)}`}
            disabled={busy}
            autoFocus
          />
        ) : (
          <>
            <HypervisorSelect
              value={hypervisorId}
              onChange={(id) => {
                setHypervisorId(id);
                setPool('');
              }}
              error={errors['hypervisorId'] ?? null}
              disabled={busy}
            />
            <PoolSelect
              hypervisorId={hypervisorId}
              value={pool}
              onChange={setPool}
              error={errors['pool'] ?? null}
              disabled={busy}
            />
            <Stack direction="row" spacing={2}>
              <TextField
                label="Volume name"
                value={volumeName}
                onChange={(e) => setVolumeName(e.target.value)}
                error={errors['volumeName'] !== undefined}
                helperText={errors['volumeName'] ?? 'A new volume; an existing one is refused'}
                disabled={busy}
                required
                sx={{ flex: 1 }}
              />
              <TextField
                select
                label="Format"
                value={poolFormat}
                onChange={(e) => {
                  const format = e.target.value as 'qcow2' | 'raw';
                  setPoolFormat(format);
                  setVolumeName((name) =>
                    name.replace(/\.(qcow2|raw|img)$/, `.${extensionOf(format)}`),
                  );
                }}
                disabled={busy}
                sx={{ width: 130 }}
              >
                <MenuItem value="qcow2">qcow2</MenuItem>
                <MenuItem value="raw">raw</MenuItem>
              </TextField>
            </Stack>
          </>
        )}
        {general !== null && <Alert severity="error">{general}</Alert>}
      </Stack>
    </RestoreDialogFrame>
  );
}

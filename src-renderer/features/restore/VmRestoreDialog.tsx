import { useId, useState } from 'react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Checkbox from '@mui/material/Checkbox';
import DialogContentText from '@mui/material/DialogContentText';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { RestorePoint } from '../../../shared/domain/jobs';
import { useStore } from '../../store';
import { formatPointTime } from './browse-time';
import { HypervisorSelect, PoolSelect } from './DestinationFields';
import { RestoreDialogFrame } from './RestoreDialogFrame';
import { useDialogSubmit } from '../../shell/use-dialog-submit';

const FIELDS = ['hypervisorId', 'name', 'pool', 'confirmInPlace'] as const;
type Field = (typeof FIELDS)[number];

/** Why a new VM name cannot be used, or null (libvirt accepts most names; these break paths). */
export function vmNameError(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'Enter a name for the restored VM';
  if (trimmed.length > 200) return 'At most 200 characters';
  if (/[/\\\0]/.test(trimmed)) return 'A VM name has no slashes';
  return null;
}

/**
 * FIG. 14A: the whole VM, to the same or another registered hypervisor, under a new name (new
 * UUID and MAC addresses) or in place of the original after an explicit confirmation; disks
 * uploaded into a storage pool, powered on afterwards if asked.
 */
export function VmRestoreDialog(props: { vmUuid: string; point: RestorePoint; onClose(): void }) {
  const { vmUuid, point, onClose } = props;
  const startRestore = useStore((s) => s.startRestore);
  const sourceHypervisorId = useStore((s) => s.vms.find((vm) => vm.uuid === vmUuid)?.hypervisorId);
  const titleId = useId();
  const [hypervisorId, setHypervisorId] = useState(sourceHypervisorId ?? '');
  const [name, setName] = useState(`${point.vmName}-restored`);
  const [inPlace, setInPlace] = useState(false);
  const [confirmInPlace, setConfirmInPlace] = useState(false);
  const [pool, setPool] = useState('');
  const [diskFormat, setDiskFormat] = useState<'qcow2' | 'raw'>('qcow2');
  const [powerOn, setPowerOn] = useState(false);
  const { errors, setErrors, general, busy, submit } = useDialogSubmit(FIELDS);

  function validate(): Partial<Record<Field, string>> {
    const found: Partial<Record<Field, string>> = {};
    if (hypervisorId === '') found.hypervisorId = 'Choose the hypervisor to restore to';
    const nameProblem = inPlace ? null : vmNameError(name);
    if (nameProblem !== null) found.name = nameProblem;
    if (inPlace && !confirmInPlace)
      found.confirmInPlace = `Confirm that ${point.vmName} may be overwritten`;
    return found;
  }

  async function start() {
    await startRestore('restore.vm', {
      vm: vmUuid,
      pointId: point.id,
      hypervisorId,
      ...(inPlace ? { inPlace: true, confirmInPlace } : { name: name.trim() }),
      ...(pool === '' ? {} : { pool }),
      diskFormat,
      powerOn,
    });
    onClose();
  }

  return (
    <RestoreDialogFrame
      titleId={titleId}
      title={<>Restore the virtual machine {point.vmName}</>}
      busy={busy}
      onClose={onClose}
      onSubmit={(e) => void submit(e, validate, start)}
      submitLabel={inPlace ? `Overwrite ${point.vmName}` : 'Restore VM'}
      submitColor={inPlace ? 'error' : 'primary'}
    >
      <DialogContentText sx={{ mb: 2 }}>
        From the {point.type} restore point of {formatPointTime(point.time)}:{' '}
        {point.disks.map((d) => d.name).join(', ')}, with the VM&apos;s configuration. Disk paths
        and buses are adapted to the destination.
      </DialogContentText>
      <Stack spacing={2}>
        <HypervisorSelect
          value={hypervisorId}
          onChange={(id) => {
            setHypervisorId(id);
            setPool('');
            setErrors({});
          }}
          error={errors.hypervisorId ?? null}
          disabled={busy}
        />
        <FormControlLabel
          control={
            <Checkbox
              checked={inPlace}
              onChange={(e) => {
                setInPlace(e.target.checked);
                setConfirmInPlace(false);
                setErrors({});
              }}
              disabled={busy}
            />
          }
          label={`In place: overwrite ${point.vmName} itself`}
        />
        {inPlace ? (
          <Alert severity="error" variant="outlined">
            {point.vmName} keeps its name, UUID and MAC addresses; its current disks and
            configuration are replaced by those of {formatPointTime(point.time)}. What it wrote
            since is lost. It must be shut down first: a running VM is refused.
            <FormControlLabel
              sx={{ display: 'flex', mt: 1 }}
              control={
                <Checkbox
                  color="error"
                  checked={confirmInPlace}
                  onChange={(e) => {
                    setConfirmInPlace(e.target.checked);
                    setErrors({});
                  }}
                  disabled={busy}
                />
              }
              label={`Yes, overwrite ${point.vmName}`}
            />
            {errors.confirmInPlace !== undefined && (
              <Box sx={{ fontWeight: 600 }}>{errors.confirmInPlace}</Box>
            )}
          </Alert>
        ) : (
          <TextField
            label="New VM name"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setErrors({});
            }}
            error={errors.name !== undefined}
            helperText={errors.name ?? 'Gets a new UUID and new MAC addresses'}
            disabled={busy}
            required
            autoFocus
            slotProps={{ htmlInput: { spellCheck: false, autoComplete: 'off' } }}
          />
        )}
        <Stack direction="row" spacing={2}>
          <Box sx={{ flex: 1 }}>
            <PoolSelect
              hypervisorId={hypervisorId}
              value={pool}
              onChange={setPool}
              error={errors.pool ?? null}
              disabled={busy}
              // Until the pools are listed; then the entry names the pool the engine will use.
              defaultLabel="Default pool (“default”, else the first active one)"
            />
          </Box>
          <TextField
            select
            label="Disk format"
            value={diskFormat}
            onChange={(e) => setDiskFormat(e.target.value as 'qcow2' | 'raw')}
            disabled={busy}
            sx={{ width: 140 }}
          >
            <MenuItem value="qcow2">qcow2</MenuItem>
            <MenuItem value="raw">raw</MenuItem>
          </TextField>
        </Stack>
        <FormControlLabel
          control={
            <Checkbox
              checked={powerOn}
              onChange={(e) => setPowerOn(e.target.checked)}
              disabled={busy}
            />
          }
          label="Power on the VM after the restore"
        />
        {general !== null && <Alert severity="error">{general}</Alert>}
      </Stack>
    </RestoreDialogFrame>
  );
}

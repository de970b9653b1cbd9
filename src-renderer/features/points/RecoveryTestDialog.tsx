import { useId, useState } from 'react';
import Alert from '@mui/material/Alert';
import DialogContentText from '@mui/material/DialogContentText';
import InputAdornment from '@mui/material/InputAdornment';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import type { Hypervisor } from '../../../shared/domain/hypervisor';
import type { Job, RestorePoint } from '../../../shared/domain/jobs';
import { useStore } from '../../store';
import { formatLocalTime } from '../jobs/job-text';
import { HypervisorSelect, PoolSelect } from '../restore/DestinationFields';
import { RestoreDialogFrame } from '../restore/RestoreDialogFrame';
import { useDialogSubmit } from '../../shell/use-dialog-submit';

const FIELDS = ['hypervisorId', 'pool', 'bootSeconds'] as const;
type Field = (typeof FIELDS)[number];

/** The engine's bounds and default for `bootSeconds` (RecoveryTestRequest). */
const MIN_SECONDS = 5;
const MAX_SECONDS = 3600;
const DEFAULT_SECONDS = 180;

/** The engine boots the test copy through libvirt only; a vSphere host is refused. */
export function recoveryTestHostProblem(hypervisor: Pick<Hypervisor, 'type'>): string | undefined {
  return hypervisor.type === 'libvirt'
    ? undefined
    : 'vSphere: recovery tests run on libvirt hosts only';
}

/** Why the wait typed cannot be used, or null. */
export function bootSecondsError(text: string): string | null {
  const seconds = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(seconds) || seconds < MIN_SECONDS)
    return `Enter a whole number of seconds from ${MIN_SECONDS} to ${MAX_SECONDS}`;
  if (seconds > MAX_SECONDS) return `At most ${MAX_SECONDS} seconds (one hour)`;
  return null;
}

/**
 * A recovery test of one point: does it come up as a VM? The engine restores it on a libvirt
 * host as an isolated copy (no network cards, so it cannot collide with the original), starts
 * it, waits for its guest agent (or for it to keep running), and removes it again.
 */
export function RecoveryTestDialog(props: {
  vmUuid: string;
  point: RestorePoint;
  onClose(): void;
  onStarted(job: Job): void;
}) {
  const { vmUuid, point, onClose, onStarted } = props;
  const startRestore = useStore((s) => s.startRestore);
  const hypervisors = useStore((s) => s.hypervisors);
  const sourceHypervisorId = useStore((s) => s.vms.find((vm) => vm.uuid === vmUuid)?.hypervisorId);
  const titleId = useId();
  // Until one is picked, the VM's own host if it can run the test, else the first that can: the
  // hypervisors may still be loading when the dialog opens.
  const [picked, setPicked] = useState<string | null>(null);
  const usable = hypervisors.filter((h) => recoveryTestHostProblem(h) === undefined);
  const hypervisorId =
    picked ?? (usable.find((h) => h.id === sourceHypervisorId) ?? usable[0])?.id ?? '';
  const [pool, setPool] = useState('');
  const [seconds, setSeconds] = useState(String(DEFAULT_SECONDS));
  const { errors, setErrors, general, busy, submit } = useDialogSubmit(FIELDS);

  function validate(): Partial<Record<Field, string>> {
    const found: Partial<Record<Field, string>> = {};
    if (hypervisorId === '') found.hypervisorId = 'Choose the libvirt host to test on';
    const wait = bootSecondsError(seconds);
    if (wait !== null) found.bootSeconds = wait;
    return found;
  }

  async function start() {
    const job = await startRestore('restore.test', {
      vm: vmUuid,
      pointId: point.id,
      hypervisorId,
      ...(pool === '' ? {} : { pool }),
      bootSeconds: Number(seconds.trim()),
    });
    onStarted(job);
    onClose();
  }

  return (
    <RestoreDialogFrame
      titleId={titleId}
      title={<>Test recovery of {point.vmName}</>}
      busy={busy}
      onClose={onClose}
      onSubmit={(e) => void submit(e, validate, start)}
      submitLabel="Start test"
    >
      <DialogContentText sx={{ mb: 2 }}>
        Does the {point.type} restore point of {formatLocalTime(point.time)} come up as a VM? The
        point is restored as an isolated copy without network cards, started, checked, and removed
        again. Nothing is left on the host.
      </DialogContentText>
      <Stack spacing={2}>
        <HypervisorSelect
          label="Test on host"
          value={hypervisorId}
          onChange={(id) => {
            setPicked(id);
            setPool('');
            setErrors({});
          }}
          unavailable={recoveryTestHostProblem}
          helperText={
            usable.length === 0 && hypervisors.length > 0
              ? 'No libvirt host registered: recovery tests run on libvirt hosts only'
              : 'A libvirt host; the copy runs there beside the original'
          }
          error={errors.hypervisorId ?? null}
          disabled={busy}
        />
        <PoolSelect
          hypervisorId={hypervisorId}
          value={pool}
          onChange={(next) => {
            setPool(next);
            setErrors({});
          }}
          error={errors.pool ?? null}
          disabled={busy}
          defaultLabel="Default pool (“default”, else the first active one)"
        />
        <TextField
          label="Wait for the VM to come up"
          type="number"
          value={seconds}
          onChange={(e) => {
            setSeconds(e.target.value);
            setErrors({});
          }}
          error={errors.bootSeconds !== undefined}
          helperText={
            errors.bootSeconds ??
            'Up to this long: a guest agent that answers ends the wait sooner; without one, the VM must keep running all along'
          }
          disabled={busy}
          required
          autoFocus
          slotProps={{
            htmlInput: { min: MIN_SECONDS, max: MAX_SECONDS, step: 1 },
            input: { endAdornment: <InputAdornment position="end">seconds</InputAdornment> },
          }}
        />
        {general !== null && <Alert severity="error">{general}</Alert>}
      </Stack>
    </RestoreDialogFrame>
  );
}

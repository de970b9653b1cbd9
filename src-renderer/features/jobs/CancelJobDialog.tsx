import type { Job } from '../../../shared/domain/jobs';
import { ConfirmDialog } from '../../shell/ConfirmDialog';
import { useStore } from '../../store';

const CONSEQUENCES: Record<Job['kind'], string> = {
  backup:
    'VMs already copied keep their new restore point; the VM being copied gets none from this run and is copied again next time.',
  restore: 'The partly written file is deleted; nothing else changes.',
  verify: 'The check stops; the repository is not changed by stopping it.',
  prune: 'Restore points already removed stay removed; space is reclaimed by the next prune.',
};

/** Asks before stopping a running job, saying what stopping leaves behind. */
export function CancelJobDialog(props: { job: Job; onClose(): void }) {
  const { job, onClose } = props;
  const cancelJob = useStore((s) => s.cancelJob);
  return (
    <ConfirmDialog
      title={`Cancel “${job.title}”?`}
      text={CONSEQUENCES[job.kind]}
      confirmLabel="Cancel job"
      busyLabel="Cancelling…"
      cancelLabel="Keep running"
      onConfirm={() => cancelJob(job.id)}
      onClose={onClose}
    />
  );
}

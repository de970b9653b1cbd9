import { useState } from 'react';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import type { Job } from '../../../shared/domain/jobs';
import { ConfirmDialog } from '../../shell/ConfirmDialog';
import { useStore } from '../../store';
import { isActive } from '../../store/jobs-slice';
import { STATUS_LABELS, jobTitle } from './job-text';

const CONSEQUENCES: Record<Job['kind'], string> = {
  backup:
    'VMs already copied keep their new restore point; the VM being copied gets none from this run and is copied again next time.',
  restore: 'The partly written file is deleted; nothing else changes.',
  verify: 'The check stops; the repository is not changed by stopping it.',
  prune: 'Restore points already removed stay removed; space is reclaimed by the next prune.',
  delete: 'Restore points already removed stay removed; space is reclaimed by the next prune.',
};

/**
 * Asks before stopping a running job, saying what stopping leaves behind. `job` is the live job:
 * when it ends while the question is open, the question turns into what happened, with Close.
 */
export function CancelJobDialog(props: { job: Job; onClose(): void }) {
  const { job, onClose } = props;
  const cancelJob = useStore((s) => s.cancelJob);
  const [requested, setRequested] = useState(false);
  // Ended because it was cancelled from here: the dialog closes as the cancel request returns.
  if (!isActive(job) && requested) return null;
  if (!isActive(job)) {
    return (
      <Dialog open onClose={onClose} aria-labelledby="cancel-job-ended-title">
        <DialogTitle id="cancel-job-ended-title">{`“${jobTitle(job)}” has ended`}</DialogTitle>
        <DialogContent>
          <DialogContentText>
            {`It ended while you were deciding: ${STATUS_LABELS[job.status]}. There is nothing to cancel.`}
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button variant="contained" onClick={onClose} autoFocus>
            Close
          </Button>
        </DialogActions>
      </Dialog>
    );
  }
  return (
    <ConfirmDialog
      title={`Cancel “${jobTitle(job)}”?`}
      text={CONSEQUENCES[job.kind]}
      confirmLabel="Cancel job"
      busyLabel="Cancelling…"
      cancelLabel="Keep running"
      onConfirm={async () => {
        setRequested(true);
        try {
          await cancelJob(job.id);
        } catch (err) {
          setRequested(false);
          throw err;
        }
      }}
      onClose={onClose}
    />
  );
}

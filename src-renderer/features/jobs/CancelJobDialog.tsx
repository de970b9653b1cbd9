import { useId, useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import type { Job } from '../../../shared/domain/jobs';
import { describeError } from '../../api/api-error';
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
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();
  const textId = useId();

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await cancelJob(job.id);
      onClose();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <Dialog
      open
      onClose={() => {
        if (!busy) onClose();
      }}
      aria-labelledby={titleId}
      aria-describedby={textId}
    >
      <DialogTitle id={titleId}>Cancel “{job.title}”?</DialogTitle>
      <DialogContent>
        <DialogContentText id={textId}>{CONSEQUENCES[job.kind]}</DialogContentText>
        {error !== null && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy} autoFocus>
          Keep running
        </Button>
        <Button color="error" variant="contained" onClick={() => void confirm()} disabled={busy}>
          {busy ? 'Cancelling…' : 'Cancel job'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

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

/** Prune asks first, and offers a dry run that only lists what would go. */
export function PruneDialog(props: {
  repository: string;
  onClose(): void;
  onStarted(job: Job): void;
}) {
  const { repository, onClose, onStarted } = props;
  const pruneRepository = useStore((s) => s.pruneRepository);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();
  const textId = useId();

  async function start(dryRun: boolean) {
    setBusy(true);
    setError(null);
    try {
      onStarted(await pruneRepository(repository, dryRun));
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
      <DialogTitle id={titleId}>Prune {repository}?</DialogTitle>
      <DialogContent>
        <DialogContentText id={textId}>
          Each virtual machine keeps the restore points its subclient’s retention asks for; older
          points are removed and the space they alone used is reclaimed. Removed points cannot be
          restored. A dry run lists what would be removed, without removing anything.
        </DialogContentText>
        <DialogContentText sx={{ mt: 1.5 }}>
          A virtual machine that no subclient on this console covers keeps all its points: its
          retention is not known here (a repository attached from another console, a subclient
          deleted since). The job names each such VM in its warnings. Protected points are kept too.
        </DialogContentText>
        <DialogContentText sx={{ mt: 1.5 }}>
          Retention also runs by itself after every backup of a subclient, for the VMs it backed up:
          prune here is for the whole repository at once, such as after changing a retention.
        </DialogContentText>
        {error !== null && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy} autoFocus>
          Cancel
        </Button>
        <Button onClick={() => void start(true)} disabled={busy}>
          Dry run
        </Button>
        <Button color="error" variant="contained" onClick={() => void start(false)} disabled={busy}>
          Prune now
        </Button>
      </DialogActions>
    </Dialog>
  );
}

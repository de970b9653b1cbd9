import { useState } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import type { Hypervisor } from '../../../shared/domain/hypervisor';
import { describeError } from '../../api/api-error';
import { useStore } from '../../store';

/** Asks before forgetting a hypervisor; nothing on the host itself is touched. */
export function RemoveHypervisorDialog(props: { hypervisor: Hypervisor; onClose: () => void }) {
  const removeHypervisor = useStore((s) => s.removeHypervisor);
  const [removing, setRemoving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { hypervisor, onClose } = props;

  async function remove() {
    setRemoving(true);
    setError(null);
    try {
      await removeHypervisor(hypervisor.id);
      onClose();
    } catch (err) {
      setError(describeError(err));
      setRemoving(false);
    }
  }

  return (
    <Dialog
      open
      onClose={() => {
        if (!removing) onClose();
      }}
      aria-labelledby="remove-hypervisor-title"
      aria-describedby="remove-hypervisor-text"
    >
      <DialogTitle id="remove-hypervisor-title">Remove {hypervisor.name}?</DialogTitle>
      <DialogContent>
        <DialogContentText id="remove-hypervisor-text">
          Hyperkeep forgets this hypervisor ({hypervisor.uri}) and its stored credentials, and its
          virtual machines leave the inventory. Nothing changes on the host itself; you can add it
          again later.
        </DialogContentText>
        {error !== null && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={removing} autoFocus>
          Cancel
        </Button>
        <Button color="error" variant="contained" onClick={() => void remove()} disabled={removing}>
          {removing ? 'Removing…' : 'Remove'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

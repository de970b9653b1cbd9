import { useId, useState } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import { useStore } from '../../store';
import { JobInlineStatus } from '../jobs/JobInlineStatus';
import { RestorePointsTable } from '../points/RestorePointsTable';

/**
 * The restore points of one VM, found by its UUID in the repositories: the same table and
 * actions as the VM drawer, for a VM that may have no drawer any more. The last job started for
 * the VM (a deletion) is followed here, as in the drawer.
 */
export function ManageVmPointsDialog(props: {
  vm: { uuid: string; name: string };
  onClose(): void;
}) {
  const { vm, onClose } = props;
  const lastJobId = useStore((s) => s.lastJobForVm[vm.uuid]);
  // A job of the VM seen before the dialog opened is not news here: only the ones started here.
  const [shownFrom] = useState(lastJobId);
  const [dismissed, setDismissed] = useState<string | null>(null);
  // The deletion's status takes the focus: the row whose menu started it is about to go.
  const [startedHere, setStartedHere] = useState<string | null>(null);
  const showJob = lastJobId !== undefined && lastJobId !== shownFrom && lastJobId !== dismissed;
  const titleId = useId();

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="md" aria-labelledby={titleId}>
      <DialogTitle id={titleId}>Restore points of {vm.name}</DialogTitle>
      <DialogContent>
        {showJob && (
          <Box sx={{ mb: 1 }}>
            <JobInlineStatus
              jobId={lastJobId}
              onDismiss={() => setDismissed(lastJobId)}
              autoFocus={lastJobId === startedHere}
            />
          </Box>
        )}
        <RestorePointsTable
          vm={vm}
          onJobStarted={(jobId, takeFocus) => {
            setDismissed(null);
            if (takeFocus) setStartedHere(jobId);
          }}
        />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}

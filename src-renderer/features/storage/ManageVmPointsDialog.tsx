import { useId } from 'react';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import { RestorePointsTable } from '../points/RestorePointsTable';
import { useVmJobStatus } from '../points/use-vm-job-status';

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
  const job = useVmJobStatus(vm.uuid, { onlyNew: true });
  const titleId = useId();

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="md" aria-labelledby={titleId}>
      <DialogTitle id={titleId}>Restore points of {vm.name}</DialogTitle>
      <DialogContent>
        {job.status({ mb: 1 })}
        <RestorePointsTable
          vm={vm}
          // The deletion's status takes the focus: the row whose menu started it is about to go.
          onJobStarted={job.started}
          // This dialog has no "Back up now", and its points may just have been deleted.
          emptyText={`${vm.name} has no restore point in the repositories of this console.`}
        />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}

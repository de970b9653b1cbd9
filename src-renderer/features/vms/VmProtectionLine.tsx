import { useEffect } from 'react';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Skeleton from '@mui/material/Skeleton';
import Typography from '@mui/material/Typography';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { useStore } from '../../store';

/**
 * Which backup set and subclient protect the VM, that is whose schedule and retention its
 * backups follow; or that none does, and where to change that. From the assignments the store
 * loads with the backup sets (loaded here when no page asked for them yet).
 */
export function VmProtectionLine({ vm }: { vm: VirtualMachine }) {
  const status = useStore((s) => s.backupSetsStatus);
  const protection = useStore((s) => s.vmProtection[vm.uuid]);
  const loadBackupSets = useStore((s) => s.loadBackupSets);
  const openBackupSetDialog = useStore((s) => s.openBackupSetDialog);
  const selectVm = useStore((s) => s.selectVm);
  const navigate = useStore((s) => s.navigate);

  useEffect(() => {
    if (status === 'idle') void loadBackupSets();
  }, [status, loadBackupSets]);

  // Leaves the drawer for the Backup sets page, with this VM's set open on its VMs when known.
  const goToBackupSets = (backupSetId?: string) => {
    selectVm(null);
    navigate('backup-sets');
    if (backupSetId !== undefined) openBackupSetDialog({ mode: 'edit', backupSetId, tab: 'vms' });
  };

  if (protection === undefined && (status === 'idle' || status === 'loading'))
    return <Skeleton width="60%" aria-label="Loading the backup sets" />;
  if (protection === undefined && status === 'error')
    return (
      <Typography variant="body2" color="text.secondary">
        Which backup set protects {vm.name} is not known: the backup sets could not be loaded.
      </Typography>
    );
  if (protection === undefined)
    return (
      <Alert
        severity="warning"
        // A standing fact about the VM, not news: a note, not Alert's default role "alert".
        role="note"
        aria-label="Protection"
        action={
          <Button color="inherit" size="small" onClick={() => goToBackupSets()}>
            Go to Backup sets
          </Button>
        }
      >
        Not protected — not in any backup set&apos;s subclient (as of their last discovery). No
        schedule backs it up, and “Back up now” uses the default settings: repository “default”, no
        retention.
      </Alert>
    );
  return (
    <Alert
      severity="success"
      role="note"
      aria-label="Protection"
      action={
        <Button
          color="inherit"
          size="small"
          onClick={() => goToBackupSets(protection.backupSetId)}
          aria-label={`Open backup set ${protection.backupSetName}`}
        >
          Open backup set
        </Button>
      }
    >
      Protected by: {protection.backupSetName} › {protection.subclientName}
    </Alert>
  );
}

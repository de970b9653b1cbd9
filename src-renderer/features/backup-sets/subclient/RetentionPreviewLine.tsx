import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { RetentionPreview } from '../../../../shared/contract';
import type { SubclientSettings } from '../../../../shared/domain/backup-set';
import { useRetentionPreview } from './use-retention-preview';

/** Past this many VMs the per-VM list would push the fields off the dialog: the rest is summed. */
const MAX_VMS_LISTED = 8;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "With these settings: 3 of 9 restore points kept, 6 removed after the next backup or prune." */
/** Protected points are kept outside the rules: said, so "2 of 2 kept" with keep-last 1 adds up. */
function protectedNote(count: number): string {
  return count > 0 ? ` (${count} protected)` : '';
}

export function retentionSummary(preview: RetentionPreview): string {
  if (preview.vms.length === 0)
    return 'No VMs are assigned to this subclient yet: nothing is removed here.';
  if (preview.total === 0)
    return 'No restore points yet: nothing of this subclient’s VMs is removed.';
  return `With these settings: ${preview.kept} of ${plural(preview.total, 'restore point')} kept${protectedNote(preview.protected)}, ${preview.removed} removed after the next backup or prune.`;
}

/**
 * Under the retention fields: what prune would do to this subclient's VMs with the values as
 * typed, so that the administrator sees a deletion before saving it. Prune deletes data; this is
 * the moment to notice "keep last 1" would take 20 points with it.
 */
export function RetentionPreviewLine(props: {
  backupSetId: string;
  /** undefined while the subclient is new: it has no VMs and no points yet */
  subclientId: string | undefined;
  retention: SubclientSettings['retention'];
  timezone: string;
}) {
  if (props.subclientId === undefined)
    return (
      <Typography variant="body2" color="text.secondary" data-testid="retention-preview">
        What these settings keep is shown once the subclient is saved and has restore points.
      </Typography>
    );
  return <SavedSubclientPreview {...props} subclientId={props.subclientId} />;
}

function SavedSubclientPreview(props: {
  backupSetId: string;
  subclientId: string;
  retention: SubclientSettings['retention'];
  timezone: string;
}) {
  const state = useRetentionPreview(
    props.backupSetId,
    props.subclientId,
    props.retention,
    props.timezone,
  );
  const typing = Object.values(props.retention).some((n) => !Number.isInteger(n));
  if (typing || state.phase === 'loading')
    return (
      <Typography variant="body2" color="text.secondary" data-testid="retention-preview">
        {typing
          ? 'Enter a whole number in every box to see what these settings keep.'
          : 'Working out what these settings keep…'}
      </Typography>
    );
  if (state.phase === 'invalid')
    return (
      <Typography variant="body2" color="error" role="alert" data-testid="retention-preview">
        {state.message}
      </Typography>
    );
  const { preview } = state;
  const listed = preview.vms.length > 1 && preview.total > 0;
  const hidden = preview.vms.slice(MAX_VMS_LISTED);
  return (
    <Box data-testid="retention-preview" aria-live="polite">
      <Typography variant="body2" sx={{ fontWeight: 500 }}>
        {retentionSummary(preview)}
      </Typography>
      {listed && (
        <Box component="ul" aria-label="Restore points per VM" sx={{ m: 0, mt: 0.5, pl: 3 }}>
          {preview.vms.slice(0, MAX_VMS_LISTED).map((vm) => (
            <Typography component="li" variant="body2" color="text.secondary" key={vm.vmUuid}>
              {vm.vmName}:{' '}
              {vm.total === 0
                ? 'no restore points'
                : `${vm.kept} of ${vm.total} kept${protectedNote(vm.protected)}, ${vm.removed} removed`}
            </Typography>
          ))}
          {hidden.length > 0 && (
            <Typography component="li" variant="body2" color="text.secondary">
              {plural(hidden.length, 'more VM')}: {hidden.reduce((sum, vm) => sum + vm.removed, 0)}{' '}
              removed
            </Typography>
          )}
        </Box>
      )}
    </Box>
  );
}

/**
 * Activity control (patent 000 FIG. 15): a subclient with "Enable restore" off lets nothing be
 * restored from its VMs' points. Checked here, once, for every restore that reads a point (files
 * to a folder, into the guest or as a download; volumes; disks; whole VMs), before any job
 * exists. Browsing and searching the points stay allowed: they change nothing anywhere.
 */
import type { RestorePoint } from '../../../shared/domain/jobs';
import { HyperkeepError } from '../../../shared/errors';
import type { Engine } from '../engine';

/**
 * Refuses a restore from `point` while the subclient its VM is assigned to now has restores off.
 * The VM's current subclient decides (as for backups), not the one it was in at backup time: the
 * administrator turns restores off for the VMs they see in the subclient today.
 */
export function assertRestoresEnabled(
  engine: Pick<Engine, 'backupSets'>,
  point: Pick<RestorePoint, 'vmUuid' | 'vmName'>,
): void {
  const owner = engine.backupSets.subclientOfVm(point.vmUuid);
  if (!owner || owner.settings.activity.restoreEnabled) return;
  throw new HyperkeepError(
    'INVALID_INPUT',
    `Restores are disabled for ${point.vmName}: its subclient ${owner.subclient} of backup set ${owner.backupSet} has 'Enable restore' off (Activity control). Turn it on there to restore.`,
    { reason: 'RESTORES_DISABLED', backupSet: owner.backupSet, subclient: owner.subclient },
  );
}

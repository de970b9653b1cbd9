import type { RetentionPreview } from '../../../shared/contract';
import type { SubclientSettings } from '../../../shared/domain/backup-set';
import { HyperkeepError } from '../../../shared/errors';
import { selectRetention, validatePolicy } from '../repository/retention';
import type { RepositoryRegistry } from '../repositories/repository-registry';
import type { BackupSetStore } from './backup-set-store';

export interface RetentionPreviewRequest {
  backupSetId: string;
  subclientId: string;
  retention: SubclientSettings['retention'];
  timezone: string;
}

/**
 * Read-only: what prune would keep of the subclient's VMs' points if the subclient had this
 * (unsaved) retention. Reads the catalog's point list, not the repositories, so the Retention tab
 * can ask on every keystroke. Decides with selectRetention exactly as startPruneJob does: per VM
 * within each repository (prune runs per repository), days in the schedule's time zone.
 */
export function previewRetention(
  backupSets: BackupSetStore,
  repositories: Pick<RepositoryRegistry, 'points'>,
  request: RetentionPreviewRequest,
): RetentionPreview {
  const subclient = backupSets.subclient(request.subclientId);
  if (subclient.backupSetId !== request.backupSetId)
    throw new HyperkeepError(
      'NOT_FOUND',
      `Subclient "${subclient.name}" does not belong to this backup set.`,
    );
  // Checked up front, so a policy prune would refuse is flagged even before the first point.
  validatePolicy(request.retention);
  assertTimeZone(request.timezone);
  const vms = backupSets.vmsOfSubclient(subclient.id).map(({ vmUuid, vmName }) => {
    const points = repositories.points(vmUuid).filter((p) => p.vmUuid === vmUuid);
    // Protected points stay whatever the rules say, and take no rule's place (as in prune).
    const decisions = selectRetention(
      points
        .filter((p) => !p.protection)
        .map((p) => ({ id: p.id, time: new Date(p.time), group: p.repository })),
      request.retention,
      request.timezone,
    );
    // Counted apart too: "2 of 2 kept" with keep-last 1 needs "(1 protected)" to add up.
    const held = points.filter((p) => p.protection).length;
    const kept = decisions.filter((d) => d.keep).length + held;
    // The newest point's name: the VM may have been renamed since the assignment was recorded.
    const name = points[0]?.vmName ?? vmName;
    return {
      vmUuid,
      vmName: name,
      total: points.length,
      kept,
      protected: held,
      removed: points.length - kept,
    };
  });
  const total = vms.reduce((sum, vm) => sum + vm.total, 0);
  const kept = vms.reduce((sum, vm) => sum + vm.kept, 0);
  const held = vms.reduce((sum, vm) => sum + vm.protected, 0);
  return { vms, total, kept, protected: held, removed: total - kept };
}

function assertTimeZone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Unknown time zone "${timezone}": use an IANA name such as Europe/Berlin or UTC.`,
      { field: 'timezone' },
    );
  }
}

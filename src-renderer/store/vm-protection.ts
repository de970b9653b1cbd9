import type { BackupSet, DiscoveryResult } from '../../shared/domain/backup-set';

/** The backup set and subclient whose settings (schedule, retention) a VM is backed up with. */
export interface VmProtection {
  backupSetId: string;
  backupSetName: string;
  subclientId: string;
  subclientName: string;
}

/**
 * Per VM uuid, the subclient that protects it, from the assignments of every set. A VM placed in
 * subclients of several sets is protected by its most recently seen assignment: the pick the
 * engine makes for its backups and prunes (BackupSetStore.subclientOfVm), so the drawer names
 * the settings the VM is really backed up with.
 */
export function protectionByVm(
  backupSets: readonly BackupSet[],
  results: readonly DiscoveryResult[],
): Record<string, VmProtection> {
  const names = new Map(backupSets.map((s) => [s.id, s.name]));
  const latest = new Map<string, { protection: VmProtection; lastSeen: string }>();
  for (const result of results) {
    const backupSetName = names.get(result.backupSetId);
    if (backupSetName === undefined) continue;
    for (const a of result.assignments) {
      if (a.subclientId === null) continue;
      const known = latest.get(a.vmUuid);
      if (known !== undefined && known.lastSeen >= a.lastSeen) continue;
      latest.set(a.vmUuid, {
        lastSeen: a.lastSeen,
        protection: {
          backupSetId: result.backupSetId,
          backupSetName,
          subclientId: a.subclientId,
          subclientName: a.subclientName ?? a.subclientId,
        },
      });
    }
  }
  return Object.fromEntries([...latest].map(([uuid, { protection }]) => [uuid, protection]));
}

import type { BackupSet } from '../../../shared/domain/backup-set';
import type { Hypervisor } from '../../../shared/domain/hypervisor';

/**
 * Why a hypervisor cannot be removed now: backup sets that target it would lose their host.
 * The engine refuses the same; saying it before the click spares a red button that cannot work.
 */
export function removalBlockedReason(
  hypervisor: Pick<Hypervisor, 'id' | 'name'>,
  backupSets: readonly Pick<BackupSet, 'name' | 'hypervisorIds'>[],
): string | undefined {
  const using = backupSets.filter((s) => s.hypervisorIds.includes(hypervisor.id));
  if (using.length === 0) return undefined;
  const names = using.map((s) => `“${s.name}”`).join(', ');
  const which = using.length === 1 ? `backup set ${names}` : `backup sets ${names}`;
  const them = using.length === 1 ? 'that set' : 'those sets';
  return `${hypervisor.name} is a target of ${which}: remove it from ${them} first (Backup sets → Properties), then remove the hypervisor.`;
}

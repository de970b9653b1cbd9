import { HyperkeepError } from '../../../shared/errors';
import type { EngineClient } from '../engine-client';

/** The CLI names things; the contract wants ids. These resolve names (case-insensitive) or ids. */
export async function findBackupSet(client: EngineClient, name: string) {
  const sets = await client.call('backupSet.list', {});
  const found = sets.find((s) => s.id === name || s.name.toLowerCase() === name.toLowerCase());
  if (!found)
    throw new HyperkeepError(
      'NOT_FOUND',
      `No backup set named "${name}" (see: hyperkeep backupset list).`,
    );
  return found;
}

export async function findSubclient(client: EngineClient, backupSet: string, name: string) {
  const set = await findBackupSet(client, backupSet);
  const found = set.subclients.find(
    (s) => s.id === name || s.name.toLowerCase() === name.toLowerCase(),
  );
  if (!found) {
    throw new HyperkeepError(
      'NOT_FOUND',
      `No subclient named "${name}" in backup set "${set.name}" (it has: ${set.subclients.map((s) => s.name).join(', ')}).`,
    );
  }
  return { set, subclient: found };
}

/** VMs by name or UUID among a backup set's discovered VMs. */
export async function findVms(
  client: EngineClient,
  set: { id: string; name: string },
  names: string[],
) {
  const { assignments } = await client.call('discovery.assignments', { backupSetId: set.id });
  return names.map((name) => {
    const matches = assignments.filter((a) => a.vmUuid === name || a.vmName === name);
    if (matches.length === 0)
      throw new HyperkeepError(
        'NOT_FOUND',
        `No VM "${name}" has been discovered in backup set "${set.name}". Run: hyperkeep discover --backupset ${shellWord(set.name)}`,
      );
    if (matches.length > 1)
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Several VMs are named "${name}" (on ${matches.map((m) => m.hypervisorName).join(', ')}); use the UUID.`,
      );
    return matches[0]!;
  });
}

/** A name as one shell word: quoted when it holds anything but letters, digits and -_.@ */
function shellWord(name: string): string {
  return /^[\w.@-]+$/.test(name) ? name : `'${name.replaceAll("'", "'\\''")}'`;
}

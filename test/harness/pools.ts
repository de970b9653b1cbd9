import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { virsh } from './exec';
import { giveToAccount, type LabAccount } from './lab-account';

/** The storage pool every lab host has, as a fresh libvirt install has one named "default". */
export const LAB_POOL = 'default';

/** <labDir>/pools/<host>: where a host's "default" directory pool keeps its volumes. */
export function labPoolDir(labDir: string, host: string): string {
  return join(labDir, 'pools', host);
}

/**
 * Defines, starts and autostarts a directory pool named "default" on a lab host (idempotent), so
 * restores into a hypervisor storage pool have a destination. The directory belongs to the lab
 * account: the session libvirtd creating volumes there runs as it.
 */
export async function ensureLabPool(
  uri: string,
  labDir: string,
  host: string,
  account: LabAccount,
): Promise<void> {
  const dir = labPoolDir(labDir, host);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await giveToAccount(account, dir);
  const names = (await virsh(uri, 'pool-list', '--all', '--name')).split('\n').map((l) => l.trim());
  if (!names.includes(LAB_POOL)) {
    await virsh(uri, 'pool-define-as', LAB_POOL, 'dir', '--target', dir);
    await virsh(uri, 'pool-autostart', LAB_POOL);
  }
  const info = await virsh(uri, 'pool-info', LAB_POOL);
  if (!/^State:\s+running/m.test(info)) await virsh(uri, 'pool-start', LAB_POOL);
}

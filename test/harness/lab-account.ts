import { chown, stat, readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { HyperkeepError } from '../../shared/errors';
import { run } from './exec';

/**
 * The account the lab's libvirtd and QEMU processes run as. As root we never run them as root:
 * libvirtd in session mode (its own sockets and state under the lab dir, no clash with a system
 * libvirtd) requires an ordinary user, so root creates the system user `hyperkeep-lab` for it.
 */
export interface LabAccount {
  name: string;
  uid: number;
  gid: number;
  /** True when we are root and must switch to the account to start its daemons. */
  switchUser: boolean;
}

export const LAB_USER = 'hyperkeep-lab';

async function lookupUser(name: string): Promise<{ uid: number; gid: number } | null> {
  try {
    const { stdout } = await run('getent', ['passwd', name]);
    const fields = stdout.trim().split(':');
    return { uid: Number(fields[2]), gid: Number(fields[3]) };
  } catch {
    return null;
  }
}

async function groupId(name: string): Promise<number | null> {
  try {
    const { stdout } = await run('getent', ['group', name]);
    return Number(stdout.trim().split(':')[2]);
  } catch {
    return null;
  }
}

/**
 * Gives the lab user read/write access to /dev/kvm the way Debian's udev rules do on a normal
 * machine (group kvm, mode 0660). Containers and minimal VMs often leave it root:root 0600, and
 * QEMU would then silently fall back to slow TCG emulation.
 */
async function grantKvm(user: string): Promise<void> {
  let dev;
  try {
    dev = await stat('/dev/kvm');
  } catch {
    return; // no KVM on this machine: the lab runs under TCG
  }
  let gid = dev.gid;
  if (gid === 0) {
    if ((await groupId('kvm')) === null) await run('groupadd', ['-r', 'kvm']);
    await run('chgrp', ['kvm', '/dev/kvm']);
    gid = (await groupId('kvm'))!;
  }
  if ((dev.mode & 0o060) !== 0o060) await run('chmod', ['g+rw', '/dev/kvm']);
  const { stdout } = await run('id', ['-G', user]);
  if (!stdout.trim().split(/\s+/).map(Number).includes(gid)) {
    const { stdout: group } = await run('getent', ['group', String(gid)]);
    await run('usermod', ['-a', '-G', group.split(':')[0]!, user]);
  }
}

/** Finds or (as root) creates the account for the lab daemons. */
export async function ensureLabAccount(): Promise<LabAccount> {
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) {
    const me = userInfo();
    return { name: me.username, uid: me.uid, gid: me.gid, switchUser: false };
  }
  let user = await lookupUser(LAB_USER);
  if (!user) {
    try {
      await run('useradd', ['-r', '-M', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', LAB_USER]);
    } catch (e) {
      // Two lab starts racing to create the user: the loser finds it created.
      if (!(await lookupUser(LAB_USER))) throw e;
    }
    user = await lookupUser(LAB_USER);
    if (!user) throw new HyperkeepError('INTERNAL', `useradd did not create ${LAB_USER}`);
  }
  await grantKvm(LAB_USER);
  return { name: LAB_USER, uid: user.uid, gid: user.gid, switchUser: true };
}

/** The command line that runs `cmd` as the lab account (with its supplementary groups, e.g. kvm). */
export function asAccount(account: LabAccount, cmd: string, args: string[]): [string, string[]] {
  if (!account.switchUser) return [cmd, args];
  return [
    'setpriv',
    [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--init-groups', cmd, ...args],
  ];
}

/** Hands a file tree to the lab account so its QEMU can open disks and its libvirtd its state. */
export async function giveToAccount(account: LabAccount, path: string): Promise<void> {
  if (!account.switchUser) return;
  const info = await lstat(path);
  await chown(path, account.uid, account.gid);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path)) await giveToAccount(account, join(path, entry));
}

/** Fails early, with a fix, when the lab account cannot reach a directory we give it. */
export async function assertAccountCanWrite(account: LabAccount, dir: string): Promise<void> {
  if (!account.switchUser) return;
  const [cmd, args] = asAccount(account, 'test', ['-w', dir, '-a', '-x', dir]);
  try {
    await run(cmd, args);
  } catch {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `The lab user ${account.name} cannot write to ${dir}: a parent directory is closed to other ` +
        'users. Choose a lab directory under a world-traversable path with HYPERKEEP_LAB_DIR.',
    );
  }
}

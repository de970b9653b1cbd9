import { chmod, chown, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Unix socket paths are limited to 107 bytes; keep ours well inside. */
const MAX_SOCKET_PATH = 100;

export interface JobDir {
  path: string;
  remove(): Promise<void>;
}

/**
 * A private directory for one backup job's NBD socket and scratch files. QEMU creates them, and
 * QEMU runs as the libvirt daemon's user (session mode) or as its configured account: when we
 * are root and the daemon's socket belongs to another user, the directory is handed to that
 * user (root still reads it); when the daemon is root's, QEMU's account is unknown here, so the
 * directory lets anyone create entries but not list them.
 */
export async function createJobDir(libvirtSocketPaths: readonly string[]): Promise<JobDir> {
  const base =
    join(tmpdir(), 'hyperkeep-backup-').length + 20 > MAX_SOCKET_PATH ? '/tmp' : tmpdir();
  // The pid in the name tells a later backup whether the job's process is still alive.
  const path = await mkdtemp(join(base, `hyperkeep-backup-${process.pid}-`));
  try {
    if (process.getuid?.() === 0) {
      const owner = await socketOwner(libvirtSocketPaths);
      if (owner && owner.uid !== 0) await chown(path, owner.uid, owner.gid);
      else await chmod(path, 0o733);
    }
  } catch (err) {
    await rm(path, { recursive: true, force: true });
    throw err;
  }
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** The pid of the process that made the job folder holding `socketPath`, or null if not ours. */
export function jobDirOwner(socketPath: string): number | null {
  const match = /\/hyperkeep-backup-(\d+)-[^/]+\/nbd\.sock$/.exec(socketPath);
  return match ? Number(match[1]) : null;
}

async function socketOwner(paths: readonly string[]): Promise<{ uid: number; gid: number } | null> {
  for (const p of paths) {
    try {
      const s = await stat(p);
      return { uid: s.uid, gid: s.gid };
    } catch {
      // try the next candidate
    }
  }
  return null;
}

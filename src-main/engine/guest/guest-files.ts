import { HyperkeepError } from '../../../shared/errors';
import type { FileSystem, FsEntry } from '../filesystems/filesystem';

/**
 * Reads small configuration files of a guest the way the guest would see them: paths resolve
 * through symlinks (modern distributions link /etc/os-release to ../usr/lib/os-release) and
 * across the file systems mounted per /etc/fstab (/usr may be its own volume).
 */

export interface Mount {
  /** Absolute mount point inside the guest: '/', '/usr'. */
  at: string;
  fs: FileSystem;
}

/** Linux's own limit on symlinks followed while resolving one path. */
const MAX_SYMLINKS = 40;
/** Guest configuration files are small; a larger one is not what we are looking for. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** The file systems of a guest, mounted at their mount points. */
export class GuestNamespace {
  private readonly mounts: Mount[];

  constructor(mounts: Mount[]) {
    // Longest mount point first, so /usr/local wins over /usr over /.
    this.mounts = [...mounts].sort((a, b) => b.at.length - a.at.length);
  }

  /** The entry at an absolute guest path, symlinks followed; undefined when it does not exist. */
  async find(path: string): Promise<{ fs: FileSystem; entry: FsEntry } | undefined> {
    let pending = components(path);
    let dir: string[] = [];
    let hops = 0;
    let last: { fs: FileSystem; entry: FsEntry } | undefined = await this.lookup([]);
    while (pending.length > 0) {
      const part = pending[0]!;
      pending = pending.slice(1);
      if (part === '..') {
        dir = dir.slice(0, -1);
        last = await this.lookup(dir);
        continue;
      }
      const next = await this.lookup([...dir, part]);
      if (next === undefined) return undefined;
      if (next.entry.type === 'symlink') {
        if (++hops > MAX_SYMLINKS) {
          throw new HyperkeepError('INVALID_INPUT', `${path}: too many levels of symbolic links`);
        }
        const target = next.entry.symlinkTarget ?? '';
        if (target === '') return undefined;
        if (target.startsWith('/')) dir = [];
        pending = [...components(target), ...pending];
        last = await this.lookup(dir);
        continue;
      }
      if (pending.length > 0 && next.entry.type !== 'dir') return undefined;
      dir = [...dir, part];
      last = next;
    }
    return last;
  }

  /** The text of a small file, or undefined when it does not exist or is not a regular file. */
  async readText(path: string, maxBytes = MAX_CONFIG_BYTES): Promise<string | undefined> {
    const found = await this.find(path);
    if (found === undefined || found.entry.type !== 'file') return undefined;
    const bytes = await found.fs.read(found.entry, 0, Math.min(found.entry.size, maxBytes));
    return new TextDecoder('utf-8').decode(bytes);
  }

  /** One path component step: the mount covering the path, then a lookup inside it. */
  private async lookup(parts: string[]): Promise<{ fs: FileSystem; entry: FsEntry } | undefined> {
    const path = `/${parts.join('/')}`;
    const mount = this.mounts.find(
      (m) => m.at === '/' || path === m.at || path.startsWith(`${m.at}/`),
    );
    if (mount === undefined) return undefined;
    const inner = mount.at === '/' ? path : path.slice(mount.at.length) || '/';
    try {
      return { fs: mount.fs, entry: await mount.fs.lookup(inner) };
    } catch (err) {
      if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }
}

function components(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

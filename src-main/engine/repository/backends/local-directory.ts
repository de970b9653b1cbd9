import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { HyperkeepError } from '../../../../shared/errors';
import {
  assertValidKey,
  type BackendObjectInfo,
  type PutOptions,
  type RepositoryBackend,
} from '../backend';
import { ReadHandles } from './read-handles';

/** Temp files live inside the repository so that rename/link never crosses file systems. */
const TEMP_DIR = 'tmp';

/**
 * A repository in a local directory (or a mounted NAS share). Every put is temp file → fsync →
 * rename (or link for put-if-absent) → fsync of the directory, so a crash at any instant leaves
 * either the old state or the complete new object.
 */
export class LocalDirectoryBackend implements RepositoryBackend {
  readonly location: string;
  private readonly knownDirs = new Set<string>();
  private readonly readHandles = new ReadHandles();

  constructor(readonly root: string) {
    this.location = root;
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    if (key === TEMP_DIR || key.startsWith(`${TEMP_DIR}/`)) {
      throw new HyperkeepError('INVALID_INPUT', `"${key}" is reserved for temporary files`);
    }
    return join(this.root, ...key.split('/'));
  }

  async get(key: string): Promise<Uint8Array> {
    const path = this.pathOf(key);
    let fh;
    try {
      fh = await open(path, 'r');
      return await fh.readFile();
    } catch (err) {
      throw this.fsError(err, 'read', key);
    } finally {
      await fh?.close();
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    const path = this.pathOf(key);
    try {
      const out = new Uint8Array(length);
      const done = await this.readHandles.with(path, async (fh) => {
        let n = 0;
        // Bounded: every iteration reads at least one byte or stops.
        while (n < length) {
          const { bytesRead } = await fh.read(out, n, length - n, offset + n);
          if (bytesRead === 0) break;
          n += bytesRead;
        }
        return n;
      });
      if (done !== length) {
        throw new HyperkeepError(
          'INTERNAL',
          `Repository object ${key} at ${this.root} is truncated: wanted bytes ${offset}–${offset + length}, it ends at ${offset + done}`,
          { reason: 'CORRUPT', key },
        );
      }
      return out;
    } catch (err) {
      throw this.fsError(err, 'read', key);
    }
  }

  async put(
    key: string,
    data: Uint8Array | readonly Uint8Array[],
    options: PutOptions = {},
  ): Promise<void> {
    const path = this.pathOf(key);
    const dir = dirname(path);
    await this.ensureDir(dir, key);
    const tempDir = join(this.root, TEMP_DIR);
    await this.ensureDir(tempDir, key);
    const temp = join(tempDir, `${randomBytes(8).toString('hex')}.tmp`);
    try {
      const fh = await open(
        temp,
        fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL,
        0o600,
      );
      try {
        for (const part of data instanceof Uint8Array ? [data] : data) {
          let done = 0;
          while (done < part.length) {
            const { bytesWritten } = await fh.write(part, done, part.length - done);
            done += bytesWritten;
          }
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (options.ifAbsent) {
        // link(2) refuses an existing name atomically: the local form of S3's If-None-Match.
        await link(temp, path);
        await unlink(temp);
      } else {
        await rename(temp, path);
      }
      await syncDir(dir);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw this.fsError(err, 'write', key);
    }
  }

  async stat(key: string): Promise<BackendObjectInfo | null> {
    try {
      const st = await stat(this.pathOf(key));
      return { key, size: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.fsError(err, 'read', key);
    }
  }

  async list(prefix: string): Promise<BackendObjectInfo[]> {
    const trimmed = prefix.replace(/\/+$/, '');
    const base = trimmed === '' ? this.root : this.pathOf(trimmed);
    let entries;
    try {
      entries = await readdir(base, { recursive: true, withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.fsError(err, 'list', prefix);
    }
    const out: BackendObjectInfo[] = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      const key = relative(this.root, full).split(sep).join('/');
      if (key.startsWith(`${TEMP_DIR}/`)) continue;
      try {
        out.push({ key, size: (await stat(full)).size });
      } catch (err) {
        // Deleted between readdir and stat (a concurrent gc): it is simply not there any more.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
          throw this.fsError(err, 'list', prefix);
      }
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await this.readHandles.forget(path);
      await unlink(path);
      await syncDir(dirname(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw this.fsError(err, 'delete', key);
    }
  }

  /** Closes the cached read handles: the folder's file system can then be unmounted. */
  close(): Promise<void> {
    return this.readHandles.closeAll();
  }

  async removeIncompleteWrites(): Promise<number> {
    const tempDir = join(this.root, TEMP_DIR);
    let names: string[];
    try {
      names = await readdir(tempDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw this.fsError(err, 'list', TEMP_DIR);
    }
    for (const name of names) await rm(join(tempDir, name), { force: true, recursive: true });
    return names.length;
  }

  private async ensureDir(dir: string, key: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    try {
      const created = await mkdir(dir, { recursive: true });
      // A new directory entry is only durable once its parent is synced.
      if (created !== undefined) await syncDir(dirname(dir));
    } catch (err) {
      throw this.fsError(err, 'write', key);
    }
    this.knownDirs.add(dir);
  }

  /** Turns a file system error into one an administrator can act on. */
  private fsError(
    err: unknown,
    action: 'read' | 'write' | 'list' | 'delete',
    key: string,
  ): HyperkeepError {
    if (err instanceof HyperkeepError) return err;
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${key} in the repository at ${this.root}`;
    switch (code) {
      case 'ENOENT':
        return new HyperkeepError('NOT_FOUND', `Repository object ${where} does not exist`, {
          key,
        });
      case 'EEXIST':
        return new HyperkeepError('ALREADY_EXISTS', `Repository object ${where} already exists`, {
          key,
        });
      case 'ENOSPC':
      case 'EDQUOT':
        return new HyperkeepError(
          'INTERNAL',
          `No space left on the storage holding the repository at ${this.root} (while writing ${key}): free space or prune old restore points, then run the backup again. Restore points already committed are not affected.`,
          { reason: 'NO_SPACE', key },
        );
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        return new HyperkeepError(
          'INTERNAL',
          `Permission denied to ${action} ${where} (${code}): check the owner and mode of the repository directory`,
          { reason: 'PERMISSION', key },
        );
      default:
        return new HyperkeepError(
          'INTERNAL',
          `Could not ${action} ${where}: ${(err as Error).message}`,
          { reason: 'IO', key, errno: code },
        );
    }
  }
}

/** fsync of a directory makes renames, links and unlinks inside it durable. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

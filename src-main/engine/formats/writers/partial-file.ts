import { constants } from 'node:fs';
import { link, lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { HyperkeepError } from '../../../../shared/errors';
import { DirectWrites } from './direct-writes';

/**
 * Contiguous writes are gathered up to this size before one pwrite: restores arrive in 64 KiB
 * pieces and a syscall per piece would cap throughput.
 */
const COALESCE_BYTES = 4 * 1024 * 1024;

/** Restored disks hold the guest's data: readable by the console's user only. */
const FILE_MODE = 0o600;

/** Errors of link(2) on file systems without hard links (FAT, some FUSE and network mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV']);

function alreadyExists(path: string): HyperkeepError {
  return new HyperkeepError(
    'ALREADY_EXISTS',
    `${path} already exists; choose another file name or allow overwriting it`,
    { path },
  );
}

/**
 * The file an image writer fills: `<path>.partial` until `commit` renames it into place, so an
 * interrupted restore (crash, kill -9, full disk) never leaves a file that looks complete.
 * Positional writes that follow each other are merged into large writes.
 */
export class PartialFile {
  private buffer: Buffer | undefined;
  private bufferStart = 0;
  private bufferLength = 0;
  private closed = false;
  /** Large aligned writes (a restore's blocks) bypass the page cache. */
  private readonly direct: DirectWrites;

  private constructor(
    readonly path: string,
    readonly partialPath: string,
    private readonly handle: FileHandle,
    private readonly overwrite: boolean,
  ) {
    this.direct = new DirectWrites(partialPath);
  }

  /**
   * Creates (or truncates a stale) `<path>.partial`. Refuses at once when `path` exists and
   * `overwrite` is not set, rather than after hours of restoring.
   */
  static async create(path: string, overwrite: boolean): Promise<PartialFile> {
    // lstat: a symbolic link at `path` is a file there too (rename would replace the link).
    const existing = await lstat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new HyperkeepError('INVALID_INPUT', `Cannot use ${path}: ${err.message}`, { path });
    });
    if (existing?.isDirectory()) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `${path} is a folder; give the path of the image file to create in it`,
        { path },
      );
    }
    if (existing !== undefined && !overwrite) throw alreadyExists(path);
    const partialPath = `${path}.partial`;
    let handle: FileHandle;
    try {
      handle = await open(
        partialPath,
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
        FILE_MODE,
      );
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const reason =
        e.code === 'ENOENT'
          ? `the folder ${dirname(path)} does not exist`
          : e.code === 'EACCES'
            ? `no permission to write in ${dirname(path)}`
            : e.code === 'ELOOP'
              ? `${basename(partialPath)} is a symbolic link`
              : e.message;
      throw new HyperkeepError('INVALID_INPUT', `Cannot create ${partialPath}: ${reason}`, {
        path,
      });
    }
    return new PartialFile(path, partialPath, handle, overwrite);
  }

  /** Writes `data` at `position`; `data` may be reused by the caller once this resolves. */
  async write(position: number, data: Uint8Array): Promise<void> {
    if (data.length === 0) return;
    const contiguous = this.bufferLength > 0 && position === this.bufferStart + this.bufferLength;
    if (!contiguous || this.bufferLength + data.length > COALESCE_BYTES) await this.flush();
    if (data.length >= COALESCE_BYTES) {
      if (!(await this.direct.write(position, data))) await this.writeFully(position, data);
      return;
    }
    this.buffer ??= Buffer.allocUnsafe(COALESCE_BYTES);
    if (this.bufferLength === 0) this.bufferStart = position;
    this.buffer.set(data, this.bufferLength);
    this.bufferLength += data.length;
  }

  /** Sets the file's length (a sparse extension when it grows). */
  async truncate(length: number): Promise<void> {
    await this.flush();
    await this.handle.truncate(length);
  }

  private async flush(): Promise<void> {
    if (this.bufferLength === 0 || this.buffer === undefined) return;
    const length = this.bufferLength;
    this.bufferLength = 0;
    await this.writeFully(this.bufferStart, this.buffer.subarray(0, length));
  }

  private async writeFully(position: number, data: Uint8Array): Promise<void> {
    let done = 0;
    // pwrite may write less than asked (signals, quotas): loop; a full disk throws ENOSPC.
    while (done < data.length) {
      try {
        const { bytesWritten } = await this.handle.write(
          data,
          done,
          data.length - done,
          position + done,
        );
        done += bytesWritten;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const reason =
          e.code === 'ENOSPC' ? `no space left on ${dirname(this.path)}` : (e.message ?? e.code);
        throw new HyperkeepError('INVALID_INPUT', `Cannot write ${this.partialPath}: ${reason}`, {
          path: this.path,
        });
      }
    }
  }

  /** Flushes, fsyncs and moves the file to its final name (then fsyncs the folder). */
  async commit(): Promise<void> {
    await this.flush();
    await this.handle.sync();
    await this.close();
    if (this.overwrite) {
      await rename(this.partialPath, this.path);
    } else {
      await this.linkIntoPlace();
    }
    await syncFolder(dirname(this.path));
  }

  /**
   * Without overwrite, link(2) puts the file in place only if nothing has the name: a file that
   * appeared during the restore is never replaced. Where hard links do not exist, check then rename.
   */
  private async linkIntoPlace(): Promise<void> {
    try {
      await link(this.partialPath, this.path);
      await unlink(this.partialPath);
      return;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EEXIST') throw alreadyExists(this.path);
      if (!NO_HARD_LINKS.has(e.code ?? '')) throw err;
    }
    const taken = await lstat(this.path).then(
      () => true,
      () => false,
    );
    if (taken) throw alreadyExists(this.path);
    await rename(this.partialPath, this.path);
  }

  /** Closes and removes the partial file. */
  async discard(): Promise<void> {
    this.bufferLength = 0;
    await this.close().catch(() => undefined);
    await unlink(this.partialPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.buffer = undefined;
    await this.direct.close();
    await this.handle.close();
  }
}

/** Makes the rename durable; file systems that cannot fsync a folder are left as they are. */
async function syncFolder(folder: string): Promise<void> {
  const dir = await open(folder, 'r').catch(() => undefined);
  if (dir === undefined) return;
  try {
    await dir.sync();
  } catch {
    // EINVAL/EISDIR on file systems without directory fsync: the rename stands anyway.
  } finally {
    await dir.close();
  }
}

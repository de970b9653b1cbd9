import { open, type FileHandle } from 'node:fs/promises';
import { HyperkeepError } from '../../../shared/errors';
import type { RandomAccessReader } from './random-access';

/** A local file (raw disk image, extracted partition) read with positional reads on one fd. */
export class FileReader implements RandomAccessReader {
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<FileReader> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        throw new HyperkeepError('NOT_FOUND', `Cannot open ${path}: no such file`);
      throw new HyperkeepError('INVALID_INPUT', `Cannot open ${path}: ${(err as Error).message}`);
    }
    const stat = await handle.stat();
    return new FileReader(handle, stat.size, path);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, this.path);
    if (this.closed) throw new HyperkeepError('INVALID_INPUT', `${this.path} is already closed`);
    const out = new Uint8Array(length);
    let done = 0;
    // pread may return fewer bytes than asked (signals, network file systems): loop until full.
    while (done < length) {
      const { bytesRead } = await this.handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) {
        throw new HyperkeepError(
          'INVALID_INPUT',
          `${this.path} ended at byte ${offset + done} while reading (file shrank while open?)`,
        );
      }
      done += bytesRead;
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** Shared argument check for readers: whole, non-negative, inside the content. */
export function checkRange(offset: number, length: number, size: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Bad read of ${what}: offset ${offset}, length ${length}`,
    );
  }
  if (offset + length > size) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Read past the end of ${what}: bytes ${offset}..${offset + length} of ${size}`,
    );
  }
}

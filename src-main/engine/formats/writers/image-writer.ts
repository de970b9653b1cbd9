import { HyperkeepError } from '../../../../shared/errors';
import type { PartialFile } from './partial-file';

/** Writes a virtual disk into an image file (restores of volumes and disks into a folder). */
export interface ImageWriter {
  /**
   * Writes data at a byte offset; offsets arrive in increasing order, in blocks aligned to 64 KiB
   * except the last; all-zero data may be skipped by the caller (holes read back as zeros).
   * `data` must stay unchanged until the returned promise settles.
   */
  write(offset: number, data: Uint8Array): Promise<void>;
  /** Finishes metadata, fsyncs, and renames `<path>.partial` to `<path>`: an interrupted restore never leaves a file that looks complete. */
  finish(): Promise<void>;
  /** Removes the partial file. */
  abort(): Promise<void>;
}

/** The alignment of `write` calls, and the piece size writers allocate and skip zeros by. */
export const WRITE_ALIGNMENT = 64 * 1024;
export const SECTOR = 512;

const ZEROS = Buffer.alloc(WRITE_ALIGNMENT);

/** Whether a piece of at most 64 KiB is all zeros (memcmp, not a byte loop: it runs per piece). */
export function isZeroPiece(piece: Uint8Array): boolean {
  return Buffer.compare(piece, ZEROS.subarray(0, piece.length)) === 0;
}

export function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/**
 * What every format shares: checking the write order, running calls one at a time, failures that
 * stick, and the partial file's life. A format writes the data (`writeData`) and its tables at
 * the end (`finalize`).
 */
export abstract class SequentialImageWriter implements ImageWriter {
  private nextOffset = 0;
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown;
  private state: 'open' | 'finishing' | 'done' | 'aborted' = 'open';

  protected constructor(
    protected readonly file: PartialFile,
    /** The bytes callers write: offsets and lengths are checked against it. */
    readonly sizeBytes: number,
  ) {}

  /** Writes one checked `write` call: `offset` is 64 KiB aligned, calls come in order. */
  protected abstract writeData(offset: number, data: Uint8Array): Promise<void>;

  /** Writes headers, tables and footers; afterwards the partial file is the complete image. */
  protected abstract finalize(): Promise<void>;

  async write(offset: number, data: Uint8Array): Promise<void> {
    if (this.state !== 'open') {
      throw new HyperkeepError('INTERNAL', `${this.file.path}: write after finish or abort`);
    }
    const end = offset + data.length;
    const problem =
      !Number.isSafeInteger(offset) || offset < this.nextOffset
        ? `offset ${offset} is before the end of the previous write (${this.nextOffset})`
        : offset % WRITE_ALIGNMENT !== 0
          ? `offset ${offset} is not aligned to 64 KiB`
          : end > this.sizeBytes
            ? `write of ${data.length} bytes at ${offset} ends past the disk's ${this.sizeBytes} bytes`
            : end !== this.sizeBytes && data.length % WRITE_ALIGNMENT !== 0
              ? `write of ${data.length} bytes at ${offset} is not a multiple of 64 KiB and not the last`
              : undefined;
    if (problem !== undefined) {
      throw new HyperkeepError('INTERNAL', `Image writer for ${this.file.path}: ${problem}`);
    }
    this.nextOffset = end;
    return this.enqueue(() => this.writeData(offset, data));
  }

  async finish(): Promise<void> {
    if (this.state !== 'open') {
      throw new HyperkeepError('INTERNAL', `${this.file.path}: finish called twice or after abort`);
    }
    this.state = 'finishing';
    await this.enqueue(async () => {
      await this.finalize();
      await this.file.commit();
    });
    this.state = 'done';
  }

  async abort(): Promise<void> {
    // A finished image is the user's file now: abort after finish leaves it alone.
    if (this.state === 'done' || this.state === 'aborted') return;
    this.state = 'aborted';
    await this.queue;
    await this.file.discard();
  }

  /** Runs calls one after another; after a failure every later call fails with the same error. */
  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => {
      if (this.failure !== undefined) throw this.failure;
      return task();
    });
    this.queue = run.catch((err: unknown) => {
      this.failure ??= err;
    });
    return run;
  }
}

/**
 * Formats that store data uncompressed: writes are cut into 64 KiB pieces, all-zero pieces stay
 * unallocated, and the format only says where each piece goes (`place`).
 */
export abstract class PlacedImageWriter extends SequentialImageWriter {
  /**
   * The file offset for the virtual bytes [offset, offset + length), allocating what they need.
   * `offset` is 64 KiB aligned and the piece never crosses a 64 KiB boundary.
   */
  protected abstract place(offset: number, length: number): Promise<number>;

  protected async writeData(offset: number, data: Uint8Array): Promise<void> {
    for (let at = 0; at < data.length; at += WRITE_ALIGNMENT) {
      const piece = data.subarray(at, Math.min(data.length, at + WRITE_ALIGNMENT));
      if (isZeroPiece(piece)) continue;
      const position = await this.place(offset + at, piece.length);
      await this.file.write(position, piece);
    }
  }
}

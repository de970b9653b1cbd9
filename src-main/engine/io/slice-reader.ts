import { HyperkeepError } from '../../../shared/errors';
import { checkRange } from './file-reader';
import type { RandomAccessReader, ReaderPiece } from './random-access';

/**
 * A window of `length` bytes at `offset` inside another reader: a partition inside a disk, a file
 * system inside a partition. Closing the slice does not close the reader underneath.
 */
export class SliceReader implements RandomAccessReader {
  constructor(
    private readonly inner: RandomAccessReader,
    private readonly offset: number,
    readonly size: number,
    private readonly name = `bytes ${offset}..${offset + size}`,
  ) {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Bad slice ${name}: offset ${offset}, size ${size}`,
      );
    }
    if (offset + size > inner.size) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `${name} ends at byte ${offset + size}, past the end of its ${inner.size}-byte container`,
      );
    }
  }

  /** The reader underneath and where the slice starts in it: a restore streams that directly. */
  get container(): { reader: RandomAccessReader; offset: number } {
    return { reader: this.inner, offset: this.offset };
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, this.name);
    return this.inner.read(this.offset + offset, length);
  }

  sourcesOf(offset: number, length: number): ReaderPiece[] {
    return [{ reader: this.inner, offset: this.offset + offset, length }];
  }

  async close(): Promise<void> {
    // The container is owned by whoever opened it; a slice only borrows it.
  }
}

import type { RandomAccessReader } from '../../../../src-main/engine/io/random-access';

/** An in-memory disk for parser tests built byte by byte from the on-disk specifications. */
export class MemoryReader implements RandomAccessReader {
  constructor(readonly bytes: Uint8Array) {}

  get size(): number {
    return this.bytes.length;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new RangeError(`read ${offset}+${length} outside ${this.bytes.length}`);
    }
    return this.bytes.slice(offset, offset + length);
  }

  async close(): Promise<void> {}
}

import type { RandomAccessReader } from '../io/random-access';
import { fsError } from './binary';

/**
 * Metadata reads of a file system are small and clustered (inodes in one table, MFT records in a
 * row, FAT sectors): serving them from aligned chunks turns a 100k-file walk into a few thousand
 * reads of the volume instead of a few hundred thousand.
 */
export class BlockCache {
  /** Chunks by index, in least-recently-used order; `bytes` is set once the read has finished. */
  private readonly chunks = new Map<number, { bytes?: Uint8Array; pending: Promise<Uint8Array> }>();
  readonly size: number;

  constructor(
    private readonly reader: RandomAccessReader,
    private readonly fs: string,
    private readonly chunkSize = 64 * 1024,
    private readonly maxChunks = 512,
  ) {
    this.size = reader.size;
  }

  /** A private copy of `length` bytes at `offset`; `what` names the structure for errors. */
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0
    ) {
      throw fsError(this.fs, what, `has an impossible location (byte ${offset}, ${length} bytes)`);
    }
    if (offset + length > this.size) {
      throw fsError(
        this.fs,
        what,
        `lies past the end of the volume (bytes ${offset}..${offset + length} of ${this.size})`,
      );
    }
    // Bulk data does not pollute the cache: it would evict the metadata the walk keeps needing.
    if (length > this.chunkSize) return this.reader.read(offset, length);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const pos = offset + done;
      const index = Math.floor(pos / this.chunkSize);
      // Cached chunks are copied synchronously: a 100k-inode walk mostly takes this path.
      const chunk = this.cachedChunk(index) ?? (await this.loadChunk(index));
      const inChunk = pos - index * this.chunkSize;
      const take = Math.min(length - done, chunk.length - inChunk);
      out.set(chunk.subarray(inChunk, inChunk + take), done);
      done += take;
    }
    return out;
  }

  /**
   * `length` bytes at `offset` without waiting, when they lie in one chunk that is already cached
   * (a walk's inode reads mostly do); undefined otherwise, and for ranges `read` would reject.
   * A view into the cache, not a copy: the caller reads it at once and keeps nothing of it.
   */
  viewCached(offset: number, length: number): Uint8Array | undefined {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length <= 0 ||
      offset + length > this.size
    )
      return undefined;
    const index = Math.floor(offset / this.chunkSize);
    const inChunk = offset - index * this.chunkSize;
    if (inChunk + length > this.chunkSize) return undefined;
    const chunk = this.cachedChunk(index);
    return chunk?.subarray(inChunk, inChunk + length);
  }

  private cachedChunk(index: number): Uint8Array | undefined {
    const entry = this.chunks.get(index);
    if (!entry?.bytes) return undefined;
    // Map keeps insertion order: re-inserting marks the chunk as most recently used.
    this.chunks.delete(index);
    this.chunks.set(index, entry);
    return entry.bytes;
  }

  private loadChunk(index: number): Promise<Uint8Array> {
    const existing = this.chunks.get(index);
    if (existing) return existing.pending;
    const start = index * this.chunkSize;
    const pending = this.reader.read(start, Math.min(this.chunkSize, this.size - start));
    const entry: { bytes?: Uint8Array; pending: Promise<Uint8Array> } = { pending };
    this.chunks.set(index, entry);
    pending.then(
      (bytes) => (entry.bytes = bytes),
      () => this.chunks.delete(index),
    );
    if (this.chunks.size > this.maxChunks) {
      const oldest = this.chunks.keys().next().value;
      if (oldest !== undefined) this.chunks.delete(oldest);
    }
    return pending;
  }
}

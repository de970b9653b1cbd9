import { releaseBuffer } from '../io/release-buffer';
import { RepoKeys } from './backend';
import { toHex } from './binary';
import { dataPathTimings } from './data-path-timings';
import { encodeIndexFile, type ChunkIndex, type PackRecord } from './chunk-index';
import { chunkId } from './keys';
import { PackBuilder, packIdOf, type BlobType } from './pack-format';
import type { RepositoryCore } from './repository-core';

export interface StoreStats {
  newChunks: number;
  newRawBytes: number;
  newStoredBytes: number;
  packs: number;
  /** Chunks found already stored (in the repository or earlier in this session). */
  dedupHits: number;
}

/** Index the packs written so far every this many packs, so a crashed backup's data is reusable. */
const INDEX_EVERY_PACKS = 32;

/**
 * Stores the blobs of one backup session: dedup against the index loaded at session start and
 * against what this session already stored, seal on the worker pool, pack, upload, index.
 * Crash order: a pack is durable before any index file names it; index files are durable before
 * the manifest that needs them (the caller's commit) is written.
 */
export class ChunkStore {
  private pack = new PackBuilder();
  private readonly pending = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private unindexed: PackRecord[] = [];
  private failure: unknown = null;
  readonly stats: StoreStats = {
    newChunks: 0,
    newRawBytes: 0,
    newStoredBytes: 0,
    packs: 0,
    dedupHits: 0,
  };

  constructor(
    private readonly core: RepositoryCore,
    private readonly index: ChunkIndex,
    private readonly maxInflight: number,
  ) {}

  /** Whether `id` will be readable once this session is flushed. */
  has(id: string): boolean {
    return this.index.has(id) || this.pending.has(id);
  }

  /**
   * Stores `data` (taking ownership of its buffer) unless it is already stored; returns its id.
   * Resolves once the blob is queued; waits while too many blobs are being sealed (backpressure).
   */
  async add(data: Uint8Array, type: BlobType): Promise<string> {
    return (await this.addReporting(data, type)).id;
  }

  /** Like add; also says whether the blob was new (neither in the repository nor this session). */
  async addReporting(data: Uint8Array, type: BlobType): Promise<{ id: string; isNew: boolean }> {
    this.throwIfFailed();
    const idBytes = chunkId(this.core.keys.idKey, data);
    const id = toHex(idBytes);
    if (!this.claim(id)) return { id, isNew: false };
    const rawLength = data.length;
    await this.enqueue(async () => {
      const sealed = await this.core.pool.seal(idBytes, data);
      await this.appendSealed(id, type, sealed, rawLength);
    });
    return { id, isNew: true };
  }

  /**
   * Deduplication: true when `id` is neither in the repository nor claimed earlier in this
   * session, and is now claimed (the caller must then store it with appendSealed).
   */
  claim(id: string): boolean {
    dataPathTimings.chunks++;
    if (this.has(id)) {
      this.stats.dedupHits++;
      return false;
    }
    this.pending.add(id);
    return true;
  }

  /**
   * Runs `work` (sealing and packing blobs) once fewer than maxInflight tasks run: this bounds
   * the memory held by segments and blobs in flight (backpressure on the reader). Resolves when
   * the work has started, with a promise of its end (wrapped: a promise cannot resolve to a
   * promise); a failure also fails the session.
   */
  async enqueue(work: () => Promise<void>): Promise<{ done: Promise<void> }> {
    this.throwIfFailed();
    const waitStart = performance.now();
    // Bounded: each wake-up follows the completion of one in-flight task.
    while (this.inflight.size >= this.maxInflight) await Promise.race(this.inflight);
    dataPathTimings.sealWaitMs += performance.now() - waitStart;
    this.throwIfFailed();
    const task: Promise<void> = work()
      .catch((err: unknown) => {
        this.failure ??= err;
        throw err;
      })
      .finally(() => this.inflight.delete(task));
    // The failure is also reported through throwIfFailed: never an unhandled rejection.
    task.catch(() => undefined);
    this.inflight.add(task);
    return { done: task };
  }

  /** Adds a sealed blob to the current pack; seals and uploads the pack when it is full. */
  async appendSealed(
    id: string,
    type: BlobType,
    sealed: Uint8Array,
    rawLength: number,
  ): Promise<void> {
    this.pack.add(id, type, sealed, rawLength);
    this.stats.newChunks++;
    this.stats.newRawBytes += rawLength;
    this.stats.newStoredBytes += sealed.length;
    if (this.pack.size >= this.core.config.packTargetSize) await this.sealPack();
  }

  private async sealPack(): Promise<void> {
    // Swap before any await: blobs sealed meanwhile go to the next pack.
    const builder = this.pack;
    this.pack = new PackBuilder();
    if (builder.blobCount === 0) return;
    const { id, parts, size, entries } = builder.finish(this.core.seal);
    const writeStart = performance.now();
    await this.core.backend.put(RepoKeys.pack(id), parts);
    dataPathTimings.writeMs += performance.now() - writeStart;
    // The sealed blobs came from the data workers' malloc arenas: give them back now.
    for (const part of parts) releaseBuffer(part);
    this.unindexed.push({ id, size, blobs: entries });
    this.stats.packs++;
    if (this.unindexed.length >= INDEX_EVERY_PACKS) await this.writeIndex();
  }

  private async writeIndex(): Promise<void> {
    const packs = this.unindexed;
    this.unindexed = [];
    if (packs.length === 0) return;
    const bytes = encodeIndexFile(packs, this.core.seal);
    const writeStart = performance.now();
    await this.core.backend.put(RepoKeys.index(packIdOf(bytes)), bytes);
    dataPathTimings.writeMs += performance.now() - writeStart;
  }

  /** Waits for every queued blob, then seals the last pack and indexes everything. */
  async flush(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
    await this.sealPack();
    await this.writeIndex();
  }

  /** Waits for in-flight work to end, successful or not (before releasing the lock on failure). */
  async settle(): Promise<void> {
    // Bounded: add() is not called concurrently with settle(), so the set only shrinks.
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }
}

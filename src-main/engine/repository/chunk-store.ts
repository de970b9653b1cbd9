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
    const hashStart = performance.now();
    const idBytes = chunkId(this.core.keys.idKey, data);
    const id = toHex(idBytes);
    dataPathTimings.hashMs += performance.now() - hashStart;
    dataPathTimings.chunks++;
    if (this.has(id)) {
      this.stats.dedupHits++;
      return { id, isNew: false };
    }
    this.pending.add(id);
    // Bounded: each wake-up follows the completion of one in-flight task.
    const waitStart = performance.now();
    while (this.inflight.size >= this.maxInflight) await Promise.race(this.inflight);
    dataPathTimings.sealWaitMs += performance.now() - waitStart;
    this.throwIfFailed();
    const rawLength = data.length;
    const task: Promise<void> = this.core.pool
      .seal(idBytes, data)
      .then((sealed) => this.append(id, type, sealed, rawLength))
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.inflight.delete(task));
    this.inflight.add(task);
    return { id, isNew: true };
  }

  private async append(
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
    const { id, bytes, entries } = builder.finish(this.core.seal);
    const writeStart = performance.now();
    await this.core.backend.put(RepoKeys.pack(id), bytes);
    dataPathTimings.writeMs += performance.now() - writeStart;
    this.unindexed.push({ id, size: bytes.length, blobs: entries });
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

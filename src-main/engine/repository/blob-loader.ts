import { HyperkeepError } from '../../../shared/errors';
import { RepoKeys, type RepositoryBackend } from './backend';
import { fromHex } from './binary';
import type { BlobLocation, ChunkIndex } from './chunk-index';
import { chunkId } from './keys';
import type { AssembleJob } from './open-sealed-chunk';
import { ChunkOpenError, OpenWorkerPool } from './open-worker-pool';
import { SealError, openSealed, unpackPayload, type SealParams } from './sealing';

/** Why a stored blob is unusable; verify turns these into a report, readers into errors. */
export class BlobDamagedError extends HyperkeepError {
  constructor(location: string, loc: BlobLocation, why: string) {
    super(
      'INTERNAL',
      `Chunk ${loc.id.slice(0, 16)}… in pack ${loc.pack.slice(0, 16)}… of the repository at ${location} is damaged (${why}); run verify with data checking to list the affected restore points`,
      { reason: 'CORRUPT', pack: loc.pack, chunk: loc.id },
    );
  }
}

/**
 * Opens one sealed blob: authenticate/decrypt with its id as AAD, decompress (bounded by the
 * indexed raw length), then re-hash the plaintext with the id key: what comes back is exactly
 * what was written, or an error.
 */
export async function decodeBlob(
  sealed: Uint8Array,
  loc: BlobLocation,
  seal: SealParams,
  idKey: Buffer,
  location: string,
): Promise<Uint8Array> {
  let data: Uint8Array;
  try {
    data = await unpackPayload(openSealed(seal, fromHex(loc.id), sealed), loc.rawLength);
  } catch (err) {
    if (err instanceof SealError) throw new BlobDamagedError(location, loc, err.message);
    throw err;
  }
  if (data.length !== loc.rawLength) {
    throw new BlobDamagedError(location, loc, `${data.length} bytes instead of ${loc.rawLength}`);
  }
  if (!chunkId(idKey, data).equals(fromHex(loc.id)))
    throw new BlobDamagedError(location, loc, 'content hash mismatch');
  return data;
}

export interface BlobSource {
  readonly backend: RepositoryBackend;
  readonly seal: SealParams;
  readonly idKey: Buffer;
  currentIndex(): ChunkIndex;
  refreshIndex(): Promise<ChunkIndex>;
}

/**
 * Loads blobs by id, with an LRU cache (bytes-bounded) and one fetch per id at a time. Blobs are
 * opened (decrypted, decompressed, hashed) on worker threads: a restore reads packs on the event
 * loop while every core decodes.
 */
export class BlobLoader {
  private readonly cache = new Map<string, Uint8Array>();
  private cacheBytes = 0;
  private readonly inflight = new Map<string, Promise<Uint8Array>>();
  private pool: OpenWorkerPool | null = null;

  constructor(
    private readonly src: BlobSource,
    private readonly maxCacheBytes: number,
  ) {}

  async load(id: string, options: { cache?: boolean } = {}): Promise<Uint8Array> {
    const hit = this.cache.get(id);
    if (hit) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit;
    }
    const running = this.inflight.get(id);
    if (running) return running;
    const p = this.fetch(id).finally(() => this.inflight.delete(id));
    this.inflight.set(id, p);
    const data = await p;
    if (options.cache !== false) this.remember(id, data);
    return data;
  }

  private remember(id: string, data: Uint8Array): void {
    if (data.length > this.maxCacheBytes / 4 || this.cache.has(id)) return;
    this.cache.set(id, data);
    this.cacheBytes += data.length;
    // Bounded: each pass evicts one entry.
    for (const [key, value] of this.cache) {
      if (this.cacheBytes <= this.maxCacheBytes) break;
      this.cache.delete(key);
      this.cacheBytes -= value.length;
    }
  }

  private async fetch(id: string): Promise<Uint8Array> {
    const loc = await this.locate(id);
    return this.open(await this.readSealed(loc.pack, loc.offset, loc.length, id), loc);
  }

  /** Where blob `id` is stored; NOT_FOUND (naming the chunk) when no index lists it. */
  async locate(id: string): Promise<BlobLocation> {
    // Another writer (process) may have committed since we loaded the index.
    const loc = this.src.currentIndex().get(id) ?? (await this.src.refreshIndex()).get(id);
    if (!loc) {
      throw new HyperkeepError(
        'NOT_FOUND',
        `Chunk ${id.slice(0, 16)}… is missing from the index of the repository at ${this.src.backend.location}; run verify to list the affected restore points`,
        { reason: 'CORRUPT', chunk: id },
      );
    }
    return loc;
  }

  /** Bytes [offset, offset+length) of a pack; a missing pack is NOT_FOUND naming `chunk`. */
  async readSealed(
    pack: string,
    offset: number,
    length: number,
    chunk: string,
  ): Promise<Uint8Array> {
    const { backend } = this.src;
    try {
      return await backend.getRange(RepoKeys.pack(pack), offset, length);
    } catch (err) {
      if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') {
        throw new HyperkeepError(
          'NOT_FOUND',
          `Pack ${pack.slice(0, 16)}… (holding chunk ${chunk.slice(0, 16)}…) is missing from the repository at ${backend.location}; run verify to list the affected restore points`,
          { reason: 'CORRUPT', pack, chunk },
        );
      }
      throw err;
    }
  }

  /**
   * Builds one block of a disk on a worker thread from the sealed chunks under it (see
   * OpenWorkerPool.assemble): chunk bytes never cross threads, only the finished block does.
   */
  async assemble(
    job: AssembleJob,
    locs: readonly BlobLocation[],
  ): Promise<{ data: Uint8Array; overflow: Uint8Array }> {
    try {
      return await this.workers().assemble(job);
    } catch (err) {
      if (err instanceof ChunkOpenError && err.chunk !== undefined) {
        const loc = locs[err.chunk];
        if (loc) throw new BlobDamagedError(this.src.backend.location, loc, err.message);
      }
      throw err;
    }
  }

  private workers(): OpenWorkerPool {
    const { seal, idKey } = this.src;
    this.pool ??= new OpenWorkerPool({ encrypt: seal.encrypt, key: seal.key }, idKey);
    return this.pool;
  }

  /** decodeBlob on a worker thread: the same checks, the same errors. */
  private async open(sealed: Uint8Array, loc: BlobLocation): Promise<Uint8Array> {
    const { idKey, backend } = this.src;
    const expected = fromHex(loc.id);
    let opened;
    try {
      opened = await this.workers().open(expected, sealed, loc.rawLength);
    } catch (err) {
      if (err instanceof ChunkOpenError)
        throw new BlobDamagedError(backend.location, loc, err.message);
      throw err;
    }
    const { data } = opened;
    if (data.length !== loc.rawLength) {
      throw new BlobDamagedError(
        backend.location,
        loc,
        `${data.length} bytes instead of ${loc.rawLength}`,
      );
    }
    const id = opened.id ?? chunkId(idKey, data);
    if (!expected.equals(id))
      throw new BlobDamagedError(backend.location, loc, 'content hash mismatch');
    return data;
  }

  /**
   * Stops the decoding threads now if no read is using them, rather than after their idle
   * delay: a one-off pass (cataloging) then leaves no threads and their heaps behind.
   */
  async stopIdleWorkers(): Promise<void> {
    if (this.inflight.size === 0) await this.pool?.stopIfIdle();
  }

  /** Stops the decoding threads (they also stop by themselves when idle). */
  async close(): Promise<void> {
    await this.pool?.close();
  }
}

import { createHmac } from 'node:crypto';
import { HyperkeepError } from '../../../shared/errors';
import { RepoKeys, type RepositoryBackend } from './backend';
import { FormatError } from './binary';
import { lockForReaders } from './locks';
import { ReadGate } from './read-gate';
import { BlobLoader } from './blob-loader';
import { ChunkIndex } from './chunk-index';
import type { RepositoryConfig } from './config';
import { decodeDiskMap, type DiskMap } from './disk-map';
import { DataWorkerPool } from './data-worker-pool';
import { cdcCutParams, gearTableFromSeed, type CdcCutParams } from './fastcdc';
import { sealParamsOf, type RepositoryKeys } from './keys';
import { decodeManifest, isPointId, type PointManifest } from './manifest';
import type { SealParams } from './sealing';

export interface CoreTuning {
  /** Worker threads for chunking, hashing, compression and encryption; 0 = on the calling thread. */
  workers: number;
  /** Bytes of decoded chunks kept for readers. */
  cacheBytes: number;
  /** How long readers wait for another process's gc (lockForReaders). */
  readLockWaitMs: number;
}

/**
 * What the writer, readers and maintenance share: the opened repository's keys, config, index
 * and caches. Manifests are immutable once committed, so they are cached by id.
 */
export class RepositoryCore {
  readonly seal: SealParams;
  readonly cdc: CdcCutParams;
  readonly pool: DataWorkerPool;
  readonly blobs: BlobLoader;
  /** Restores and browsing on one side, gc on the other (see ReadGate). */
  readonly readGate: ReadGate;
  private index = new ChunkIndex();
  private indexRefresh: Promise<ChunkIndex> | null = null;
  private readonly manifests = new Map<string, PointManifest>();

  constructor(
    readonly backend: RepositoryBackend,
    readonly config: RepositoryConfig,
    readonly keys: RepositoryKeys,
    readonly keyFileId: string | null,
    tuning: CoreTuning,
  ) {
    this.readGate = new ReadGate(() => lockForReaders(backend, tuning.readLockWaitMs));
    this.seal = sealParamsOf(keys, config.compression.level);
    const gearSeed = createHmac('sha256', keys.idKey).update('hyperkeep-gear-table').digest();
    this.cdc = cdcCutParams(gearTableFromSeed(gearSeed), config.chunker, config.chunker.algorithm);
    this.pool = new DataWorkerPool(
      { seal: this.seal, idKey: keys.idKey, cdc: this.cdc },
      tuning.workers,
    );
    this.blobs = new BlobLoader(
      {
        backend,
        seal: this.seal,
        idKey: keys.idKey,
        currentIndex: () => this.index,
        refreshIndex: () => this.refreshIndex(),
      },
      tuning.cacheBytes,
    );
  }

  get location(): string {
    return this.backend.location;
  }

  currentIndex(): ChunkIndex {
    return this.index;
  }

  /** Picks up index files written since the last call (by us or other processes). */
  refreshIndex(): Promise<ChunkIndex> {
    // Concurrent callers share one refresh instead of each listing and loading the same files.
    this.indexRefresh ??= ChunkIndex.refresh(this.index, this.backend, this.seal)
      .then((idx) => (this.index = idx))
      .finally(() => (this.indexRefresh = null));
    return this.indexRefresh;
  }

  async listPointIds(): Promise<string[]> {
    const ids = (await this.backend.list('snapshots/'))
      .map((o) => RepoKeys.idOf(o.key))
      .filter(isPointId);
    const present = new Set(ids);
    for (const id of this.manifests.keys()) if (!present.has(id)) this.manifests.delete(id);
    return ids.sort();
  }

  /** A point's manifest; `fresh` reads it from storage again (verify must see what is stored). */
  async loadManifest(id: string, fresh = false): Promise<PointManifest> {
    const cached = fresh ? undefined : this.manifests.get(id);
    if (cached) return cached;
    if (!isPointId(id))
      throw new HyperkeepError('INVALID_INPUT', `"${id}" is not a restore point id`);
    let bytes: Uint8Array;
    try {
      bytes = await this.backend.get(RepoKeys.snapshot(id));
    } catch (err) {
      if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') {
        throw new HyperkeepError(
          'NOT_FOUND',
          `Restore point ${id} does not exist in the repository at ${this.location}`,
          {
            point: id,
          },
        );
      }
      throw err;
    }
    const m = decodeManifest(bytes, id, this.seal, this.location);
    this.manifests.set(id, m);
    return m;
  }

  forgetManifest(id: string): void {
    this.manifests.delete(id);
  }

  async loadDiskMap(pointId: string, diskName: string): Promise<DiskMap> {
    const m = await this.loadManifest(pointId);
    const disk = m.disks.find((d) => d.name === diskName);
    if (!disk) {
      throw new HyperkeepError(
        'NOT_FOUND',
        `Restore point ${pointId} has no disk "${diskName}" (it has: ${m.disks.map((d) => d.name).join(', ') || 'none'})`,
        { point: pointId, disk: diskName },
      );
    }
    return this.loadDiskMapBlob(disk.map, `disk map of ${diskName} in point ${pointId}`);
  }

  async loadDiskMapBlob(mapId: string, where: string): Promise<DiskMap> {
    const bytes = await this.blobs.load(mapId, { cache: false });
    try {
      return decodeDiskMap(bytes, where);
    } catch (err) {
      if (err instanceof FormatError) {
        throw new HyperkeepError('INTERNAL', `The ${where} is damaged: ${err.message}`, {
          reason: 'CORRUPT',
          chunk: mapId,
        });
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    // The readers' decoding threads too: idle ones would otherwise hold memory for 30 s.
    await Promise.all([this.pool.close(), this.blobs.close()]);
    // After the readers: a file system with open files cannot be unmounted.
    await this.backend.close();
  }
}

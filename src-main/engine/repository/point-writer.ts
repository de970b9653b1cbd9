import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { HyperkeepError } from '../../../shared/errors';
import { RepoKeys } from './backend';
import type { ChunkStore } from './chunk-store';
import { encodeDiskMap } from './disk-map';
import { DiskWriter } from './disk-writer';
import type { RepositoryLock } from './locks';
import {
  encodeManifest,
  newPointId,
  type Consistency,
  type PointDisk,
  type PointManifest,
  type PointVm,
} from './manifest';
import { BlobType } from './pack-format';
import type { RepositoryCore } from './repository-core';

export interface PointWriterInit {
  vm: PointVm;
  meta: Record<string, unknown>;
  parent: string | null;
}

/**
 * One restore point being written. Nothing is visible to readers until commit writes the
 * manifest; a crash or abort before that leaves only unreferenced packs, which gc removes.
 */
export class PointWriter {
  readonly id: string;
  readonly startedAt: Date;
  private readonly disks = new Map<string, DiskWriter>();
  private state: 'open' | 'committing' | 'committed' | 'failed' | 'aborted' = 'open';

  constructor(
    private readonly core: RepositoryCore,
    private readonly lock: RepositoryLock,
    private readonly store: ChunkStore,
    private readonly init: PointWriterInit,
  ) {
    this.startedAt = new Date();
    this.id = newPointId(this.startedAt, randomBytes(4).toString('hex'));
  }

  addDisk(disk: { name: string; sizeBytes: number }): DiskWriter {
    this.assertOpen();
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(disk.name)) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Invalid disk name "${disk.name}": use letters, digits, . _ : -`,
      );
    }
    if (this.disks.has(disk.name))
      throw new HyperkeepError(
        'ALREADY_EXISTS',
        `Disk ${disk.name} was already added to this restore point`,
      );
    if (!Number.isSafeInteger(disk.sizeBytes) || disk.sizeBytes < 0) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Invalid size ${disk.sizeBytes} for disk ${disk.name}`,
      );
    }
    const writer = new DiskWriter(disk.name, disk.sizeBytes, this.core, this.store, () =>
      this.assertOpen(),
    );
    this.disks.set(disk.name, writer);
    return writer;
  }

  /** Live numbers for progress reporting. */
  get progress(): Readonly<ChunkStore['stats']> {
    return this.store.stats;
  }

  /**
   * The commit point: stores the disk maps, makes every pack and index file durable, then writes
   * the manifest atomically. Releases the lock whether it succeeds or not.
   */
  async commit(options: {
    consistency: Consistency;
    /** Merged over the meta given at start: what only became known while backing up. */
    meta?: Record<string, unknown>;
  }): Promise<PointManifest> {
    this.assertOpen();
    this.state = 'committing';
    try {
      const disks: PointDisk[] = [];
      for (const d of this.disks.values()) {
        const { map, totals } = await d.finish();
        const mapId = await this.store.add(encodeDiskMap(map), BlobType.DiskMap);
        disks.push({ name: d.name, sizeBytes: d.sizeBytes, map: mapId, ...totals });
      }
      await this.store.flush();
      const { newChunks, newRawBytes, newStoredBytes, packs } = this.store.stats;
      const manifest: PointManifest = {
        format: 'hyperkeep-point',
        version: 1,
        id: this.id,
        startedAt: this.startedAt.toISOString(),
        committedAt: new Date().toISOString(),
        hostname: hostname(),
        parent: this.init.parent,
        consistency: options.consistency,
        vm: this.init.vm,
        meta: { ...this.init.meta, ...options.meta },
        disks,
        stats: { newChunks, newRawBytes, newStoredBytes, packs },
      };
      await this.core.backend.put(
        RepoKeys.snapshot(this.id),
        encodeManifest(manifest, this.core.seal),
        { ifAbsent: true },
      );
      this.state = 'committed';
      // The cataloging phase comes next: it should not start 128 MiB up. Not awaited: the
      // point is durable now, and the caller should hear so at once.
      void this.core.pool.trim();
      return manifest;
    } catch (err) {
      this.state = 'failed';
      await this.store.settle();
      throw err;
    } finally {
      await this.lock.release();
    }
  }

  /** Gives up the point: what was uploaded stays unreferenced until gc. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    for (const disk of this.disks.values()) disk.abandon();
    await this.store.settle();
    await this.lock.release();
  }

  private assertOpen(): void {
    if (this.state !== 'open') {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Restore point ${this.id} is ${this.state}: it takes no more data`,
      );
    }
  }
}

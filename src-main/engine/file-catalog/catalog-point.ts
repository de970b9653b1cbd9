import type { GuestOs, PointVolume } from '../../../shared/domain/files';
import { HyperkeepError, toErrorData } from '../../../shared/errors';
import { openFileSystem } from '../filesystems/detect';
import { fileSystemName, type FileSystem } from '../filesystems/filesystem';
import type { RandomAccessReader } from '../io/random-access';
import { FallbackReader } from '../io/fallback-reader';
import { releaseMemory, withSmallYoungGeneration } from '../memory';
import type { PointManifest } from '../repository/manifest';
import type { Repository } from '../repository/repository';
import { listDiskVolumes, listVolumes, type DiskInput, type VolumeInfo } from '../volumes/detect';
import { BasisPoints, catalogVolume } from './catalog-volume';
import type { FileCatalog } from './file-catalog';
import { readGuestAccounts } from './guest-accounts';
import { PointIndexEncoder } from './point-index-object';

/** A volume whose file system opened: what guest detection (engine/guest) looks at. */
export interface OpenVolume {
  info: VolumeInfo;
  fs: FileSystem;
}

/** Every volume found, with its file system when one opened (swap, LUKS … have none). */
export interface FoundVolume {
  info: VolumeInfo;
  fs?: FileSystem;
}

/** What guest detection adds to a point: the OS, and per volume name its mount point or drive letter. */
export interface GuestFacts {
  guestOs?: GuestOs;
  mountPoints?: Record<string, string>;
  driveLetters?: Record<string, string>;
}

export interface CatalogPointOptions {
  catalog: FileCatalog;
  repository: Repository;
  repositoryName: string;
  manifest: PointManifest;
  signal?: AbortSignal;
  /**
   * `entries` walked so far of about `expected` (the volume's own count, when it keeps one).
   */
  onProgress?: (progress: {
    volume: string;
    files: number;
    entries: number;
    expected?: number;
  }) => void;
  /** Guest OS, fstab mount points and drive letters from the open file systems. */
  detectGuest?: (volumes: FoundVolume[]) => Promise<GuestFacts>;
  /**
   * Readers of the point's disks by disk name that the caller already has open and that hold
   * exactly the point's content (a backup's own source, still open after the commit): they are
   * read instead of the repository, which would decrypt and decompress every chunk holding
   * metadata (~600 MiB for 65k files). The caller keeps them open until this returns; should one
   * fail, the walk goes on from the repository.
   */
  diskReaders?: ReadonlyMap<string, RandomAccessReader>;
}

export interface CatalogPointResult {
  volumes: PointVolume[];
  files: number;
  /** Things a person should know: volumes not indexed, folders skipped, the index not stored. */
  warnings: string[];
  /** How each volume was cataloged: whole, or from what changed since an earlier point. */
  notes: string[];
}

/**
 * Decoded chunks a volume walk keeps: the one under the inode tables it is reading plus the few
 * its folder prefetches fetched (chunks are ~1 MiB on average, 4 MiB at most). The file systems'
 * own block caches hold the metadata that gets reused.
 */
const CHUNK_CACHE_BYTES = 32 * 1024 * 1024;
/**
 * A point's disk as the walk reads it. No read-ahead: metadata reads are small and scattered, so
 * the chunks after each one are mostly file data nobody reads (measured: 70% more chunks decoded
 * with it on); the ext walk prefetches the folders it lists next instead. A private chunk cache:
 * it goes away with the phase instead of filling the repository's with chunks nobody browses.
 */
const POINT_DISK_OPTIONS = { readAhead: false, privateCacheBytes: CHUNK_CACHE_BYTES };

function messageOf(err: unknown): string {
  return toErrorData(err).message;
}

/** Volumes of all disks; a disk whose partition table is damaged is reported, not fatal. */
async function volumesOf(
  disks: DiskInput[],
): Promise<{ volumes: VolumeInfo[]; failed: PointVolume[]; warnings: string[] }> {
  try {
    return { ...(await listDiskVolumes(disks)), failed: [] };
  } catch {
    const volumes: VolumeInfo[] = [];
    const failed: PointVolume[] = [];
    for (const d of disks) {
      try {
        volumes.push(...(await listVolumes(d.reader, d.name)));
      } catch (err) {
        failed.push({
          name: d.name,
          disk: d.name,
          offsetBytes: 0,
          sizeBytes: d.reader.size,
          indexed: false,
          error: messageOf(err),
        });
      }
    }
    return { volumes, failed, warnings: [] };
  }
}

/**
 * Builds the file index of a committed point: opens its disks from the repository, lists the
 * volumes, walks every file system it can open, stores the entries in the catalog and the index
 * in the repository. A volume that fails is recorded as not indexed with the reason; only an
 * error of the catalog itself (or cancellation) is thrown.
 *
 * A full walk allocates ~500 MB of short-lived objects for 66k files: it runs with V8's young
 * generation held at its size, and gives the heap it grew back when it ends (engine/memory.ts).
 * Points cataloged from what changed allocate little, and skip that last collection: it stops
 * the engine's thread for ~100 ms, more than such a point takes in all.
 */
export async function catalogPoint(options: CatalogPointOptions): Promise<CatalogPointResult> {
  const walks = { whole: 0 };
  let failed = true;
  try {
    const result = await withSmallYoungGeneration(() => indexPoint(options, walks));
    failed = false;
    return result;
  } finally {
    if (failed || walks.whole > 0) releaseMemory();
  }
}

async function indexPoint(
  options: CatalogPointOptions,
  walks: { whole: number },
): Promise<CatalogPointResult> {
  const { catalog, repository, manifest } = options;
  const ingest = catalog.beginPoint({
    repository: options.repositoryName,
    pointId: manifest.id,
    vmUuid: manifest.vm.uuid,
    vmName: manifest.vm.name,
    time: manifest.startedAt,
  });
  if (!ingest) return { volumes: [], files: 0, warnings: [], notes: [] };
  const readers: RandomAccessReader[] = [];
  const open: OpenVolume[] = [];
  /** How each volume was cataloged (job log), and the walk bases to keep with the point. */
  const notes: string[] = [];
  const bases: { name: string; data: Uint8Array }[] = [];
  const switched: string[] = [];
  try {
    const disks: DiskInput[] = [];
    for (const d of manifest.disks) {
      const given = options.diskReaders?.get(d.name);
      if (given) {
        if (given.size !== d.sizeBytes)
          throw new HyperkeepError(
            'INTERNAL',
            `The reader given for disk ${d.name} has ${given.size} bytes, the point's disk ${d.sizeBytes}`,
          );
        // Should the export go away mid-walk (the VM shut down), the same bytes come from the
        // point instead. Closing it (the file systems do) leaves the caller's reader open.
        const reader = new FallbackReader(
          given,
          () => repository.openDisk(manifest.id, d.name, POINT_DISK_OPTIONS),
          (cause) =>
            switched.push(
              `Disk ${d.name} was read from the restore point after its source failed (${messageOf(cause)})`,
            ),
        );
        readers.push(reader);
        disks.push({ name: d.name, reader });
        continue;
      }
      const reader = await repository.openDisk(manifest.id, d.name, POINT_DISK_OPTIONS);
      readers.push(reader);
      disks.push({ name: d.name, reader });
    }
    const { volumes, failed, warnings } = await volumesOf(disks);
    const results: PointVolume[] = [...failed];
    for (const info of volumes) {
      const base: PointVolume = {
        name: info.name,
        disk: info.disk,
        offsetBytes: info.offset,
        sizeBytes: info.size,
        indexed: false,
        ...(info.partitionLabel ? { label: info.partitionLabel } : {}),
      };
      if (info.fsHint === 'lvm') {
        results.push({
          ...base,
          error: 'LVM physical volume: its logical volumes are listed on their own',
        });
        continue;
      }
      try {
        const fs = await openFileSystem(info.reader);
        open.push({ info, fs });
        results.push({
          ...base,
          filesystem: fileSystemName(fs),
          ...(fs.label ? { label: fs.label } : {}),
        });
      } catch (err) {
        results.push({ ...base, error: messageOf(err) });
      }
    }
    const accounts = await readGuestAccounts(open.map((o) => o.fs));
    let guest: GuestOs | null = null;
    if (options.detectGuest) {
      try {
        const found = volumes.map((info) => {
          const fs = open.find((o) => o.info === info)?.fs;
          return fs ? { info, fs } : { info };
        });
        const facts = await options.detectGuest(found);
        guest = facts.guestOs ?? null;
        for (const v of results) {
          const mount = facts.mountPoints?.[v.name];
          const letter = facts.driveLetters?.[v.name];
          if (mount) v.mountPoint = mount;
          if (letter) v.driveLetter = letter;
        }
      } catch (err) {
        warnings.push(`Guest detection failed: ${messageOf(err)}`);
      }
    }
    const encoder = new PointIndexEncoder();
    const basisPoints = new BasisPoints(repository, manifest.id, disks);
    let total = 0;
    for (const { info, fs } of open) {
      const slot = results.findIndex((v) => v.name === info.name);
      const volume = results[slot]!;
      const mark = encoder.mark();
      try {
        const done = await catalogVolume({
          ...{ fs, ingest, encoder, slot, volume, warnings, options, info, repository },
          basisPoints,
          openBasisDisk: (pointId, disk) => repository.openDisk(pointId, disk, POINT_DISK_OPTIONS),
        });
        volume.indexed = true;
        volume.files = done.files;
        total += done.files;
        notes.push(done.note);
        if (done.walkedWhole) walks.whole++;
        if (done.basis) bases.push({ name: volume.name, data: done.basis });
      } catch (err) {
        if (options.signal?.aborted) throw err;
        encoder.rollback(mark);
        volume.error = `Indexing stopped: ${messageOf(err)}`;
      }
    }
    for (const v of results) {
      ingest.addVolume(v);
      if (!v.indexed)
        warnings.push(`Volume ${v.name} was not indexed: ${v.error ?? 'unknown reason'}`);
    }
    warnings.push(...switched);
    ingest.finish(accounts, guest);
    for (const b of bases) {
      try {
        catalog.walkBases.keep(ingest.pointPk, ingest.vmId, b.name, b.data);
      } catch (err) {
        notes.push(`${b.name}: the next point will be walked whole (${messageOf(err)})`);
      }
    }
    try {
      await repository.putFileIndex(
        manifest.id,
        encoder.finish({ point: manifest.id, volumes: results, accounts, guest }),
      );
    } catch (err) {
      warnings.push(
        `The file index could not be stored in the repository (browsing works here, but not after attaching the repository elsewhere): ${messageOf(err)}`,
      );
    }
    return { volumes: results, files: total, warnings, notes };
  } catch (err) {
    ingest.abandon();
    throw err;
  } finally {
    for (const o of open) await o.fs.close().catch(() => undefined);
    for (const r of readers) await r.close().catch(() => undefined);
  }
}

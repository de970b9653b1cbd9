import type { PointVolume } from '../../../shared/domain/files';
import { toErrorData } from '../../../shared/errors';
import {
  DeltaNotApplicable,
  supportsInodeDelta,
  walkInodeDelta,
  type InodeDeltaSupport,
} from '../filesystems/inode-delta';
import { WalkBasisRecorder, decodeWalkBasis, encodeWalkBasis } from '../filesystems/walk-basis';
import type { FileSystem, FsEntry } from '../filesystems/filesystem';
import type { RandomAccessReader } from '../io/random-access';
import { SliceReader } from '../io/slice-reader';
import { rangesTouch, type ByteRange } from '../repository/disk-map';
import type { Repository } from '../repository/repository';
import { listDiskVolumes, type DiskInput, type VolumeInfo } from '../volumes/detect';
import { catalogExtents, recordOf, type CatalogRecord } from './catalog-record';
import type { ChangedFolder, VolumeDelta } from './volume-delta';

/**
 * A delta walk lists again at most this share of the basis's entries; past it, the listing of
 * changed folders costs about what a full walk does, and the full walk is the simpler path.
 */
const MAX_RELISTED_SHARE = 0.5;

/** The basis point of a delta: its id, its file index object and that object's volumes. */
export interface DeltaBasisPoint {
  pointId: string;
  fileIndex: Uint8Array;
  volumes: readonly PointVolume[];
}

export interface VolumeDeltaInput {
  repository: Repository;
  info: VolumeInfo;
  fs: FileSystem;
  basisPoint: DeltaBasisPoint;
  /** The stored walk basis of the volume at the basis point (WalkBases). */
  basisData: Uint8Array;
  /** Where the point's disks may differ from the basis point's (changeMap, one per basis point). */
  mayDiffer: ChangeMap;
  /** Opens the point's disk as the walk reads it (catalog-point's POINT_DISK_OPTIONS). */
  openBasisDisk(pointId: string, disk: string): Promise<RandomAccessReader>;
  /** A folder could not be listed (the full walk's onDirectoryError). */
  onFolderError(dir: FsEntry, err: unknown): void;
  signal?: AbortSignal;
}

export interface VolumeDeltaOutput {
  delta: VolumeDelta;
  /** The walk basis for the next point (encodeWalkBasis). */
  basis: Uint8Array;
  /** Files whose data location could not be read (as the full walk counts them). */
  noExtents: number;
  /** Entries listed again: what the delta cost. */
  relisted: number;
}

/** Why a delta is not even tried for a volume, or null when it can be. */
function deltaRefusal(input: Pick<VolumeDeltaInput, 'info' | 'fs' | 'basisPoint'>): string | null {
  const { info, fs, basisPoint } = input;
  if (!supportsInodeDelta(fs))
    return `only ext, XFS and NTFS volumes are cataloged incrementally (not ${fs.kind})`;
  const before = basisPoint.volumes.find((v) => v.name === info.name);
  if (!before?.indexed) return `volume ${info.name} was not indexed in the basis point`;
  if (
    before.disk !== info.disk ||
    before.offsetBytes !== info.offset ||
    before.sizeBytes !== info.size
  )
    return `volume ${info.name} moved or changed size since the basis point`;
  return null;
}

/**
 * Catalogs a volume from what changed since its basis point (filesystems/inode-delta.ts):
 * the changed ranges come from the two points' disk maps, the old bytes from the basis point.
 * Throws DeltaNotApplicable (or any read error) when the caller should walk the volume whole.
 */
export async function walkVolumeDelta(input: VolumeDeltaInput): Promise<VolumeDeltaOutput> {
  const refusal = deltaRefusal(input);
  if (refusal) throw new DeltaNotApplicable(refusal);
  const { info, basisPoint } = input;
  const fs = input.fs as FileSystem & InodeDeltaSupport;
  const basis = decodeWalkBasis(input.basisData);
  if (!basis) throw new DeltaNotApplicable('its stored walk basis is unreadable');
  const { mayDiffer } = input;
  const before = await openBasisVolume(input);
  const folders: ChangedFolder[] = [];
  let noExtents = 0;
  let relisted = 0;
  try {
    const result = await walkInodeDelta({
      fs,
      before: before.reader,
      after: info.reader,
      mayDiffer: (offset, length) => mayDiffer(info.reader, offset, length),
      basis,
      maxEntries: Math.max(1000, Math.floor(basis.inodes.length * MAX_RELISTED_SHARE)),
      ...(input.signal ? { signal: input.signal } : {}),
      onFolderError: (dir, err) => input.onFolderError(dir, err),
      onListing: async ({ dir, children }) => {
        const records: CatalogRecord[] = [];
        for (const entry of children) {
          const extents = await catalogExtents(fs, entry);
          if (extents === undefined) noExtents++;
          records.push(recordOf(fs.kind, entry, -1, extents ?? null));
        }
        relisted += records.length;
        folders.push({ path: dir.path, children: records });
      },
    });
    return {
      delta: {
        basisPointId: basisPoint.pointId,
        root: recordOf(fs.kind, result.root, -1, null),
        folders,
      },
      basis: encodeWalkBasis(result.basis),
      noExtents,
      relisted,
    };
  } finally {
    await before.close();
  }
}

/**
 * Whether bytes of a reader may differ between the basis point and this one: placed on the
 * point's disks through the layers between (partitions, logical volumes), then looked up in the
 * ranges the two points' disk maps differ in. A layer that cannot say where its bytes lie, or a
 * disk the basis point lacks, counts as changed.
 */
export type ChangeMap = (reader: RandomAccessReader, offset: number, length: number) => boolean;

export async function changeMap(
  repository: Repository,
  basisPointId: string,
  pointId: string,
  disks: readonly DiskInput[],
): Promise<ChangeMap> {
  const changed = new Map<RandomAccessReader, ByteRange[]>();
  for (const d of disks) {
    const ranges = await repository
      .changedRanges(basisPointId, pointId, d.name)
      .catch(() => [{ offset: 0, length: d.reader.size }]);
    changed.set(d.reader, ranges);
  }
  const mayDiffer = (reader: RandomAccessReader, offset: number, length: number): boolean => {
    const ranges = changed.get(reader);
    if (ranges) return rangesTouch(ranges, offset, length);
    const pieces = reader.sourcesOf?.(offset, length);
    return pieces === undefined || pieces.some((p) => mayDiffer(p.reader, p.offset, p.length));
  };
  return mayDiffer;
}

/**
 * The volume as it was in the basis point: a partition or whole disk is the same slice of the
 * basis point's disk; a logical volume is found again on the basis point's disks by name.
 */
async function openBasisVolume(
  input: VolumeDeltaInput,
): Promise<{ reader: RandomAccessReader; close(): Promise<void> }> {
  const { info, basisPoint } = input;
  const opened: RandomAccessReader[] = [];
  const close = async () => {
    for (const r of opened) await r.close().catch(() => undefined);
  };
  try {
    if (info.partitionType !== 'lvm') {
      const disk = await input.openBasisDisk(basisPoint.pointId, info.disk);
      opened.push(disk);
      return {
        reader: new SliceReader(disk, info.offset, info.size, `volume ${info.name}`),
        close,
      };
    }
    const disks: DiskInput[] = [];
    for (const d of (await input.repository.getPoint(basisPoint.pointId)).disks) {
      const reader = await input.openBasisDisk(basisPoint.pointId, d.name);
      opened.push(reader);
      disks.push({ name: d.name, reader });
    }
    const found = (await listDiskVolumes(disks)).volumes.find((v) => v.name === info.name);
    if (found?.size !== info.size)
      throw new DeltaNotApplicable(
        `logical volume ${info.name} is not the same in the basis point`,
      );
    return { reader: found.reader, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Records a full walk's basis: the walk reports each folder's entries, the file system its
 * reads. Only file systems with InodeDeltaSupport have one; `finish` gives null for the others
 * and for a tree that is not a plain tree.
 */
export class FullWalkBasis {
  private readonly fs: (FileSystem & InodeDeltaSupport) | null;
  private readonly recorder: WalkBasisRecorder | null;
  private readonly folderIds = new Map<string, number>();

  constructor(fs: FileSystem) {
    this.fs = supportsInodeDelta(fs) ? fs : null;
    this.recorder = this.fs ? new WalkBasisRecorder() : null;
    if (this.fs && this.recorder) this.fs.recordMetadataReads(this.recorder.onRead);
  }

  /** One folder's listing as the walk yields it (the root alone first). */
  addListing(entries: readonly FsEntry[], parentPath: string | null): void {
    if (!this.recorder) return;
    const parent = parentPath === null ? 0 : this.folderIds.get(parentPath);
    if (parent === undefined) return;
    for (const e of entries) {
      if (e.type === 'dir') this.folderIds.set(e.path, e.id);
      this.recorder.addEntry(e.id, parent, e.type === 'dir' ? e.name : undefined);
    }
  }

  /** A folder could not be listed: the walk goes on without its contents. */
  folderFailed(dir: FsEntry): void {
    this.recorder?.addBroken(dir.id);
  }

  async finish(): Promise<Uint8Array | null> {
    if (!this.fs || !this.recorder) return null;
    this.fs.recordMetadataReads(undefined);
    try {
      const basis = this.recorder.finish(await this.fs.walkFingerprint());
      return basis ? encodeWalkBasis(basis) : null;
    } catch {
      return null;
    }
  }

  /** Stops recording without a basis (the walk failed). */
  abandon(): void {
    this.fs?.recordMetadataReads(undefined);
  }
}

/** A one-line reason for the job log. */
export function deltaFailure(err: unknown): string {
  return err instanceof DeltaNotApplicable ? err.message : toErrorData(err).message;
}

import { toErrorData } from '../../../shared/errors';
import { fileSystemName } from '../filesystems/filesystem';
import { supportsInodeDelta } from '../filesystems/inode-delta';
import type { RandomAccessReader } from '../io/random-access';
import type { Repository } from '../repository/repository';
import type { DiskInput, VolumeInfo } from '../volumes/detect';
import { decodePointIndex } from './point-index-object';
import { splicePointIndexVolumeAsync } from './point-index-splice';
import {
  changeMap,
  deltaFailure,
  walkVolumeDelta,
  type ChangeMap,
  type DeltaBasisPoint,
} from './volume-delta-walk';
import { walkVolume, type VolumeWalk } from './volume-walk';

/**
 * The basis points of a point's volumes, and where the point's disks differ from each, loaded
 * once for all its volumes (a file index can be megabytes; a disk map is one per disk).
 */
export class BasisPoints {
  private readonly loaded = new Map<string, Promise<DeltaBasisPoint | null>>();
  private readonly changed = new Map<string, Promise<ChangeMap>>();

  constructor(
    private readonly repository: Repository,
    private readonly pointId: string,
    /** The point's disks as the walk reads them: what its volumes' readers are made of. */
    private readonly disks: readonly DiskInput[],
  ) {}

  /** Where the point's disks may differ from those of basis point `basisPointId`. */
  changes(basisPointId: string): Promise<ChangeMap> {
    let map = this.changed.get(basisPointId);
    if (!map) {
      map = changeMap(this.repository, basisPointId, this.pointId, this.disks);
      this.changed.set(basisPointId, map);
    }
    return map;
  }

  /** The point's file index and volumes; null when the repository has no file index for it. */
  get(pointId: string): Promise<DeltaBasisPoint | null> {
    let found = this.loaded.get(pointId);
    if (!found) {
      found = this.repository
        .getFileIndex(pointId)
        .then((fileIndex) =>
          fileIndex
            ? { pointId, fileIndex, volumes: decodePointIndex(fileIndex, pointId).header.volumes }
            : null,
        );
      this.loaded.set(pointId, found);
    }
    return found;
  }
}

export interface CatalogVolumeInput extends VolumeWalk {
  info: VolumeInfo;
  repository: Repository;
  basisPoints: BasisPoints;
  openBasisDisk(pointId: string, disk: string): Promise<RandomAccessReader>;
}

export interface CatalogVolumeResult {
  files: number;
  /** The walk basis to keep with the point for the next one's delta (null: none). */
  basis: Uint8Array | null;
  /** How the volume was cataloged, for the job log. */
  note: string;
  /** True when it was walked whole rather than from what changed. */
  walkedWhole: boolean;
}

/**
 * Catalogs one volume: from what changed since its previous indexed point when that point left
 * a walk basis (cost grows with the change), otherwise, or when the delta cannot be taken, by a
 * full walk. Both give the same catalog and file index; the delta is an optimisation only.
 */
export async function catalogVolume(input: CatalogVolumeInput): Promise<CatalogVolumeResult> {
  const { ingest, volume, options } = input;
  // The delta is relative to the volume's previous indexed point, as a full ingest compares.
  const { volumeId, basis } = ingest.previousIndexed(volume.name);
  const data =
    basis && volumeId !== undefined ? options.catalog.walkBases.of(basis.pk, volumeId) : null;
  const stored = basis && data ? { pointId: basis.pointId, data } : null;
  let why = supportsInodeDelta(input.fs)
    ? 'no earlier point of it left a walk basis'
    : `${fileSystemName(input.fs)} is walked whole at every point (only ext, XFS and NTFS are cataloged from what changed)`;
  if (stored) {
    const started = performance.now();
    const mark = input.encoder.mark();
    // Kept apart until the delta succeeds: a full walk after it says the same again.
    const warnings: string[] = [];
    let skippedDirs = 0;
    try {
      const basisPoint = await input.basisPoints.get(stored.pointId);
      if (!basisPoint) throw new Error(`point ${stored.pointId} has no file index`);
      const out = await walkVolumeDelta({
        repository: input.repository,
        info: input.info,
        fs: input.fs,
        basisPoint,
        basisData: stored.data,
        mayDiffer: await input.basisPoints.changes(stored.pointId),
        openBasisDisk: input.openBasisDisk,
        onFolderError: (dir, err) => {
          if (skippedDirs++ < 5)
            warnings.push(`${volume.name}${dir.path}: folder skipped (${deltaFailure(err)})`);
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const spliced = await splicePointIndexVolumeAsync(
        basisPoint.fileIndex,
        volume.name,
        input.slot,
        out.delta,
      );
      const { files } = await ingest.addVolumeDelta(volume.name, out.delta, options.signal);
      input.encoder.addLines(spliced.chunks);
      if (skippedDirs > 5)
        warnings.push(`${volume.name}: ${skippedDirs} folders in all could not be read`);
      if (out.noExtents > 0)
        warnings.push(
          `${volume.name}: the data location of ${out.noExtents} file(s) could not be read`,
        );
      input.warnings.push(...warnings);
      return {
        walkedWhole: false,
        files,
        basis: out.basis,
        note: `${volume.name}: ${out.relisted} entries in ${out.delta.folders.length} changed folders indexed since point ${stored.pointId} (${Math.round(performance.now() - started)} ms)`,
      };
    } catch (err) {
      // Rows the delta could not put back would mix with a full walk's: the point is given up.
      if (options.signal?.aborted || toErrorData(err).details?.reason === 'DELTA_NOT_UNDONE')
        throw err;
      input.encoder.rollback(mark);
      why = `the incremental index could not be taken: ${deltaFailure(err)}`;
    }
  }
  const walked = await walkVolume(input);
  return { ...walked, walkedWhole: true, note: `${volume.name}: walked whole (${why})` };
}

import { HyperkeepError } from '../../../shared/errors';
import { RepoKeys } from './backend';
import type { RepositoryCore } from './repository-core';
import { SealError, openSealed, unpackPayload } from './sealing';

/** A point's file index (1M files ≈ 100 MB before compression) never legitimately exceeds this. */
const MAX_FILE_INDEX_BYTES = 2 * 1024 * 1024 * 1024 - 1;

const aadOf = (pointId: string) => Buffer.from(`file-index:${pointId}`);

/**
 * Stores the file index of a point (`catalogs/<point id>`, sealed + zstd like a manifest; its
 * content is defined by file-catalog/point-index-object.ts). Written after the point commits;
 * a second write of the same point keeps the first.
 */
export async function putFileIndex(
  core: RepositoryCore,
  pointId: string,
  data: Uint8Array,
): Promise<void> {
  await core.loadManifest(pointId);
  // On a backup worker: compressing a 65k-file index (~15 MB) on the engine's thread stalled
  // its event loop for 50-100 ms at the end of every cataloging. Level 3 whatever the
  // repository's: an index is small next to its disks and read back whole.
  const sealed = await core.pool.seal(aadOf(pointId), data, 3);
  try {
    await core.backend.put(RepoKeys.fileIndex(pointId), sealed, { ifAbsent: true });
  } catch (err) {
    if (!(err instanceof HyperkeepError && err.code === 'ALREADY_EXISTS')) throw err;
  }
}

/** The file index of a point, or null when the point has none (taken before cataloging, or it failed). */
export async function getFileIndex(
  core: RepositoryCore,
  pointId: string,
): Promise<Uint8Array | null> {
  let sealed: Uint8Array;
  try {
    sealed = await core.backend.get(RepoKeys.fileIndex(pointId));
  } catch (err) {
    if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') return null;
    throw err;
  }
  try {
    // Decompressed off the engine's thread: a 65k-file index is ~15 MB, tens of milliseconds.
    return await unpackPayload(openSealed(core.seal, aadOf(pointId), sealed), MAX_FILE_INDEX_BYTES);
  } catch (err) {
    if (err instanceof SealError)
      throw new HyperkeepError(
        'INTERNAL',
        `The file index of restore point ${pointId} in the repository at ${core.location} is damaged (${err.message})`,
        { reason: 'CORRUPT', key: RepoKeys.fileIndex(pointId), point: pointId },
      );
    throw err;
  }
}

/** gc: file indexes whose point is gone (pruned while its index was being written). */
export async function deleteOrphanFileIndexes(core: RepositoryCore): Promise<number> {
  const points = new Set(await core.listPointIds());
  let removed = 0;
  for (const o of await core.backend.list('catalogs/')) {
    if (points.has(RepoKeys.idOf(o.key))) continue;
    await core.backend.delete(o.key);
    removed++;
  }
  return removed;
}

import { BlobType } from './pack-format';
import type { RepositoryCore } from './repository-core';

export interface RepositoryStats {
  points: number;
  /** Sum of the disks' sizes over all points. */
  provisionedBytes: number;
  /** Bytes backed by data over all points (what a naive copy of every point would store). */
  logicalBytes: number;
  /** Plaintext bytes of the distinct data chunks in the index. */
  uniqueBytes: number;
  /** Sealed (compressed + encrypted) bytes of those chunks. */
  compressedBytes: number;
  /** Bytes of all packs on the storage: what the repository really occupies. */
  storedBytes: number;
  uniqueChunks: number;
  /** Chunk references over all points. */
  chunkReferences: number;
  packs: number;
  /** logicalBytes / uniqueBytes. */
  dedupRatio: number;
  /** uniqueBytes / compressedBytes. */
  compressionRatio: number;
}

/** Space accounting across all restore points (reads every manifest and disk map). */
export async function repositoryStats(core: RepositoryCore): Promise<RepositoryStats> {
  const index = await core.refreshIndex();
  let provisionedBytes = 0;
  let logicalBytes = 0;
  let chunkReferences = 0;
  const ids = await core.listPointIds();
  for (const id of ids) {
    const m = await core.loadManifest(id);
    for (const disk of m.disks) {
      provisionedBytes += disk.sizeBytes;
      const map = await core.loadDiskMapBlob(disk.map, `disk map of ${disk.name} in point ${id}`);
      chunkReferences += map.runs.length;
      for (const run of map.runs) logicalBytes += run.length;
    }
  }
  let uniqueBytes = 0;
  let compressedBytes = 0;
  let uniqueChunks = 0;
  for (const loc of index.entries()) {
    if (loc.type !== BlobType.Data) continue;
    uniqueChunks++;
    uniqueBytes += loc.rawLength;
    compressedBytes += loc.length;
  }
  const packs = await core.backend.list('packs/');
  const storedBytes = packs.reduce((n, p) => n + p.size, 0);
  return {
    points: ids.length,
    provisionedBytes,
    logicalBytes,
    uniqueBytes,
    compressedBytes,
    storedBytes,
    uniqueChunks,
    chunkReferences,
    packs: packs.length,
    dedupRatio: uniqueBytes === 0 ? 1 : logicalBytes / uniqueBytes,
    compressionRatio: compressedBytes === 0 ? 1 : uniqueBytes / compressedBytes,
  };
}

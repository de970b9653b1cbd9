import { HyperkeepError } from '../../../shared/errors';
import { RepoKeys } from './backend';
import { FormatError } from './binary';
import { BlobDamagedError, decodeBlob } from './blob-loader';
import { ChunkIndex, decodeIndexOrThrow } from './chunk-index';
import { RepositoryLock } from './locks';
import {
  FOOTER_BYTES,
  checkPackHeader,
  packIdOf,
  parsePackFooter,
  parsePackTrailer,
} from './pack-format';
import type { RepositoryCore } from './repository-core';
import { SealError } from './sealing';

export type VerifyErrorKind =
  | 'damaged-index'
  | 'damaged-manifest'
  | 'damaged-disk-map'
  | 'missing-chunk'
  | 'missing-pack'
  | 'damaged-pack'
  | 'damaged-chunk';

export interface VerifyError {
  kind: VerifyErrorKind;
  message: string;
  pack?: string;
  chunk?: string;
  /** Restore points that cannot be restored completely because of this. */
  points: string[];
}

export interface VerifyReport {
  ok: boolean;
  points: number;
  packs: number;
  /** Blobs decrypted and re-hashed (readData only). */
  blobsChecked: number;
  bytesRead: number;
  errors: VerifyError[];
}

export interface VerifyOptions {
  /** Read every pack, check its hash and trailer, decrypt and re-hash every blob. */
  readData?: boolean;
  lockWaitMs?: number;
  /** With readData: bytes of the packs read so far, of all the packs to read. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

/**
 * Checks that every restore point can be restored. Metadata level: manifests and disk maps open,
 * every chunk they use is indexed, every pack the index names exists with the indexed size. With
 * readData, also every byte. Errors name the restore points they affect.
 */
export async function verifyRepository(
  core: RepositoryCore,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const lock = await RepositoryLock.acquire(core.backend, 'shared', 'verify', {
    waitMs: options.lockWaitMs ?? 0,
  });
  try {
    return await runVerify(core, options);
  } finally {
    await lock.release();
  }
}

async function runVerify(core: RepositoryCore, options: VerifyOptions): Promise<VerifyReport> {
  const { backend } = core;
  const errors: VerifyError[] = [];
  const index = new ChunkIndex();
  for (const obj of await backend.list('index/')) {
    const id = RepoKeys.idOf(obj.key);
    try {
      for (const pack of decodeIndexOrThrow(
        await backend.get(obj.key),
        core.seal,
        id,
        backend.location,
      ))
        index.addPack(pack);
    } catch (err) {
      if (!(err instanceof HyperkeepError) || err.details?.reason !== 'CORRUPT') throw err;
      errors.push({ kind: 'damaged-index', message: err.message, points: [] });
    }
  }

  // Which points depend on each blob (chunks and disk maps).
  const users = new Map<string, Set<string>>();
  const use = (blob: string, point: string) => {
    let set = users.get(blob);
    if (!set) users.set(blob, (set = new Set()));
    set.add(point);
  };
  const pointIds = await core.listPointIds();
  for (const pointId of pointIds) {
    let manifest;
    try {
      manifest = await core.loadManifest(pointId, true);
    } catch (err) {
      if (!(err instanceof HyperkeepError) || err.details?.reason !== 'CORRUPT') throw err;
      errors.push({ kind: 'damaged-manifest', message: err.message, points: [pointId] });
      continue;
    }
    for (const disk of manifest.disks) {
      use(disk.map, pointId);
      if (!index.has(disk.map)) continue; // reported below as a missing chunk
      try {
        const map = await core.loadDiskMapBlob(
          disk.map,
          `disk map of ${disk.name} in point ${pointId}`,
        );
        let outOfBounds = 0;
        for (const run of map.runs) {
          use(run.chunk, pointId);
          const loc = index.get(run.chunk);
          if (loc && run.chunkOffset + run.length > loc.rawLength) outOfBounds++;
        }
        if (outOfBounds > 0) {
          errors.push({
            kind: 'damaged-disk-map',
            message: `The disk map of ${disk.name} in point ${pointId} has ${outOfBounds} runs past the end of their chunk`,
            chunk: disk.map,
            points: [pointId],
          });
        }
      } catch (err) {
        if (!(err instanceof HyperkeepError)) throw err;
        errors.push({
          kind: 'damaged-disk-map',
          message: err.message,
          chunk: disk.map,
          points: [pointId],
        });
      }
    }
  }
  const pointsOf = (blobs: Iterable<string>) => {
    const out = new Set<string>();
    for (const b of blobs) for (const p of users.get(b) ?? []) out.add(p);
    return [...out].sort();
  };

  const packSizes = new Map(
    (await backend.list('packs/')).map((o) => [RepoKeys.idOf(o.key), o.size]),
  );
  const badPacks = new Set<string>();
  for (const [chunk, points] of users) {
    const loc = index.get(chunk);
    if (!loc) {
      errors.push({
        kind: 'missing-chunk',
        message: `Chunk ${chunk} is not in the index`,
        chunk,
        points: [...points].sort(),
      });
    }
  }
  for (const pack of index.packs.values()) {
    const size = packSizes.get(pack.id);
    const affected = pointsOf(pack.blobs.map((b) => b.id));
    if (size === undefined) {
      badPacks.add(pack.id);
      errors.push({
        kind: 'missing-pack',
        message: `Pack ${pack.id} is indexed but missing`,
        pack: pack.id,
        points: affected,
      });
    } else if (size !== pack.size) {
      badPacks.add(pack.id);
      errors.push({
        kind: 'damaged-pack',
        message: `Pack ${pack.id} has ${size} bytes, the index says ${pack.size}`,
        pack: pack.id,
        points: affected,
      });
    }
  }

  let blobsChecked = 0;
  let bytesRead = 0;
  if (options.readData) {
    const packs = [...index.packs.values()].filter((p) => !badPacks.has(p.id));
    const bytesTotal = packs.reduce((sum, pack) => sum + pack.size, 0);
    let bytesDone = 0;
    for (const pack of packs) {
      const bytes = await backend.get(RepoKeys.pack(pack.id));
      bytesRead += bytes.length;
      for (const blob of pack.blobs) {
        blobsChecked++;
        try {
          await decodeBlob(
            bytes.subarray(blob.offset, blob.offset + blob.length),
            { ...blob, pack: pack.id },
            core.seal,
            core.keys.idKey,
            backend.location,
          );
        } catch (err) {
          if (!(err instanceof BlobDamagedError)) throw err;
          errors.push({
            kind: 'damaged-chunk',
            message: err.message,
            pack: pack.id,
            chunk: blob.id,
            points: pointsOf([blob.id]),
          });
        }
      }
      const problem = packStructureProblem(core, bytes, pack.id);
      if (problem)
        errors.push({ kind: 'damaged-pack', message: problem, pack: pack.id, points: [] });
      bytesDone += pack.size;
      options.onProgress?.(bytesDone, bytesTotal);
    }
  }
  return {
    ok: errors.length === 0,
    points: pointIds.length,
    packs: index.packs.size,
    blobsChecked,
    bytesRead,
    errors,
  };
}

/** Damage outside the blobs (header, trailer, footer) or a pack whose bytes no longer hash to its id. */
function packStructureProblem(core: RepositoryCore, bytes: Uint8Array, id: string): string | null {
  const where = `pack ${id}`;
  try {
    checkPackHeader(bytes, where);
    const trailerLength = parsePackFooter(
      bytes.subarray(bytes.length - FOOTER_BYTES),
      bytes.length,
      where,
    );
    const trailerStart = bytes.length - FOOTER_BYTES - trailerLength;
    parsePackTrailer(
      bytes.subarray(trailerStart, bytes.length - FOOTER_BYTES),
      bytes.length,
      core.seal,
      where,
    );
  } catch (err) {
    if (err instanceof FormatError || err instanceof SealError) return `Pack ${id}: ${err.message}`;
    throw err;
  }
  return packIdOf(bytes) === id
    ? null
    : `Pack ${id}: its content no longer matches its hash (damaged)`;
}

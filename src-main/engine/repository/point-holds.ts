import { z } from 'zod';
import { HyperkeepError } from '../../../shared/errors';
import { RepoKeys } from './backend';
import { FormatError } from './binary';
import type { RepositoryCore } from './repository-core';
import {
  MAIN_THREAD_MODULES,
  SealError,
  compressAndSeal,
  openSealed,
  unpackPayloadSync,
} from './sealing';

/**
 * Protected restore points (`holds/<point id>`, docs/repository-format.md): a point an
 * administrator wants kept whatever the retention says (the last backup before an upgrade, a
 * point under legal hold). Retention leaves it out, and deleting it is refused until the hold is
 * lifted. The hold lives in the repository, sealed like a manifest, so it survives the console:
 * a repository attached elsewhere still knows what must not go.
 */
export const PointHold = z.object({
  /** why, in the administrator's words (may be empty) */
  reason: z.string().max(500),
  /** ISO 8601 */
  since: z.string(),
});
export type PointHold = z.infer<typeof PointHold>;

const aadOf = (pointId: string) => Buffer.from(`hold:${pointId}`);

export async function putHold(
  core: RepositoryCore,
  pointId: string,
  hold: PointHold,
): Promise<void> {
  await core.loadManifest(pointId);
  const sealed = compressAndSeal(
    MAIN_THREAD_MODULES,
    { ...core.seal, level: 0 },
    aadOf(pointId),
    Buffer.from(JSON.stringify(PointHold.parse(hold))),
  );
  await core.backend.put(RepoKeys.hold(pointId), sealed);
}

export async function deleteHold(core: RepositoryCore, pointId: string): Promise<void> {
  await core.backend.delete(RepoKeys.hold(pointId));
}

/** Every hold of the repository, by point id; holds whose point is gone are left out. */
export async function listHolds(core: RepositoryCore): Promise<Map<string, PointHold>> {
  const points = new Set(await core.listPointIds());
  const holds = new Map<string, PointHold>();
  for (const o of await core.backend.list('holds/')) {
    const id = RepoKeys.idOf(o.key);
    if (!points.has(id)) continue;
    let sealed: Uint8Array;
    try {
      sealed = await core.backend.get(o.key);
    } catch (err) {
      if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') continue; // lifted meanwhile
      throw err;
    }
    holds.set(id, decodeHold(core, id, sealed));
  }
  return holds;
}

/**
 * A hold that does not open is an error, never "not held": treating it as absent would let
 * retention delete a point someone protected.
 */
function decodeHold(core: RepositoryCore, pointId: string, sealed: Uint8Array): PointHold {
  try {
    const plain = unpackPayloadSync(openSealed(core.seal, aadOf(pointId), sealed), 64 * 1024);
    return PointHold.parse(JSON.parse(Buffer.from(plain).toString('utf8')));
  } catch (err) {
    if (
      err instanceof SealError ||
      err instanceof FormatError ||
      err instanceof SyntaxError ||
      err instanceof z.ZodError
    )
      throw new HyperkeepError(
        'INTERNAL',
        `The protection of restore point ${pointId} in the repository at ${core.location} is damaged (${err.message}); protect the point again (or lift it) to rewrite it`,
        { reason: 'CORRUPT', key: RepoKeys.hold(pointId), point: pointId },
      );
    throw err;
  }
}

/** gc: holds whose point is gone (a point deleted by an older Hyperkeep, or by hand). */
export async function deleteOrphanHolds(core: RepositoryCore): Promise<number> {
  const points = new Set(await core.listPointIds());
  let removed = 0;
  for (const o of await core.backend.list('holds/')) {
    if (points.has(RepoKeys.idOf(o.key))) continue;
    await core.backend.delete(o.key);
    removed++;
  }
  return removed;
}

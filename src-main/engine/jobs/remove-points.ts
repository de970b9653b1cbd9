import type { PruneJobResult, PrunePointOutcome } from '../../../shared/domain/jobs';
import { pruneHeadline } from '../../../shared/prune-outcome';
import type { Engine } from '../engine';
import type { GcOptions } from '../repository/maintenance';
import type { Repository } from '../repository/repository';
import type { JobContext } from './job-controller';

/** How long a prune or a deletion waits for the backups writing to the repository. */
export const GC_BACKUPS_WAIT_MS = 60 * 60_000;

/**
 * How a prune or a deletion frees space: it waits for the backups writing to the repository and
 * the restores reading it (Repository.gc) rather than failing, and can be cancelled meanwhile;
 * the phase says what it waits for and the log names it, so a job that seems stuck says why.
 */
export function gcOptionsFor(ctx: JobContext): GcOptions {
  return {
    lockWaitMs: GC_BACKUPS_WAIT_MS,
    signal: ctx.signal,
    onWaitForReaders: (readers) => {
      ctx.phase(`waiting for ${readers.length} restore(s) reading the repository`);
      ctx.log(`Freeing space waits for restores in progress to finish: ${readers.join('; ')}`);
    },
    onWaitForLock: (holders) => {
      ctx.phase(`waiting for ${holders.join(', ') || 'another operation'} to finish`);
      ctx.log(`Freeing space waits for the repository to be free: ${holders.join('; ')}`);
    },
  };
}

/**
 * The end of a prune or a deletion: the points go from the repository, this console's lists and
 * the file catalog, then gc frees the space; the result is prune's report.
 */
export async function removePointsAndFreeSpace(
  engine: Engine,
  ctx: JobContext,
  repository: { handle: Repository; name: string },
  removed: PrunePointOutcome[],
  report: Pick<PruneJobResult, 'kept' | 'skippedVms'>,
): Promise<PruneJobResult> {
  // Another prune (two backups of the same VM ending together) may have removed some already.
  const present = new Set((await repository.handle.listPoints()).map((m) => m.id));
  for (const p of removed)
    if (!present.has(p.id)) ctx.log(`${p.vmName} ${p.id}: already removed meanwhile`);
  const ids = removed.map((p) => p.id).filter((id) => present.has(id));
  ctx.phase('deleting restore points');
  await repository.handle.deletePoints(ids);
  engine.repositories.forgetPoints(repository.name, ids);
  engine.fileCatalog.forgetPoints(repository.name, ids);
  engine.events.emit('points.changed', {});
  ctx.phase('collecting garbage');
  const gc = await repository.handle.gc(gcOptionsFor(ctx));
  const result: PruneJobResult = { dryRun: false, removed, ...report, ...gc };
  ctx.log(pruneHeadline(result));
  return result;
}

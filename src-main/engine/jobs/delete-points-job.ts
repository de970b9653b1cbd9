import type {
  Job,
  PruneJobResult,
  PrunePointOutcome,
  RestorePoint,
} from '../../../shared/domain/jobs';
import { HyperkeepError } from '../../../shared/errors';
import { DELETED_BY_REQUEST } from '../../../shared/prune-outcome';
import type { Engine } from '../engine';
import { removePointsAndFreeSpace } from './remove-points';

export interface DeletePointsRequest {
  repository: string;
  ids: readonly string[];
  dryRun: boolean;
}

// Shared: the prune report words a deletion by request by it (pruneHeadline).
export { DELETED_BY_REQUEST };

/**
 * Deletes chosen restore points, then frees the space no other point uses (gc), as prune does
 * for the points a retention lets go; the job's result has prune's shape, so the console and
 * the CLI report both alike. Every point is a synthetic full, so any of them can go without
 * harming the others. A later incremental of the VM still finds the checkpoint its parent
 * recorded or, when the newest point went, falls back to comparing blocks (planIncremental).
 *
 * Every id must be a point of the repository before the job starts: a typo is an error, not a
 * job that deleted less than asked.
 */
export function startDeletePointsJob(engine: Engine, request: DeletePointsRequest): Job {
  const {
    repository: repositoryName,
    points,
    missing,
  } = engine.repositories.pointsById(request.repository, request.ids);
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ', …' : '');
    throw new HyperkeepError(
      'NOT_FOUND',
      `Repository "${repositoryName}" has no restore point ${shown} (${missing.length} of the ${request.ids.length} named): nothing was deleted.`,
      { missing },
    );
  }
  const held = points.filter((p) => p.protection);
  if (held.length > 0)
    throw new HyperkeepError(
      'INVALID_INPUT',
      `${held.length === 1 ? 'Restore point' : 'Restore points'} ${held.map((p) => `${p.time} of ${p.vmName}`).join(', ')} ${held.length === 1 ? 'is' : 'are'} protected: lift the protection first. Nothing was deleted.`,
      { reason: 'PROTECTED', points: held.map((p) => p.id) },
    );
  const dryRun = request.dryRun;
  return engine.jobs.start(
    'delete',
    `${dryRun ? 'Dry run: delete' : 'Delete'} ${pointsTitle(points)} from ${repositoryName}`,
    async (ctx): Promise<PruneJobResult> => {
      const repository = await engine.repositories.get(repositoryName);
      const outcomes = points.map(outcomeOf);
      for (const p of outcomes) ctx.log(`${p.vmName} ${p.id} (${p.time}): remove (${p.reason})`);
      // The same VMs' other points stay: the report counts them, as prune's does.
      const chosen = new Set(outcomes.map((p) => p.id));
      const kept = [...new Set(points.map((p) => p.vmUuid))]
        .flatMap((vm) => engine.repositories.points(vm))
        .filter((p) => p.repository === repositoryName && !chosen.has(p.id))
        .map((p) => ({ ...outcomeOf(p), reason: 'not chosen for deletion' }));
      const common = { kept, skippedVms: [] };
      if (dryRun) return { dryRun, wouldRemove: outcomes, ...common };
      return removePointsAndFreeSpace(
        engine,
        ctx,
        { handle: repository, name: repositoryName },
        outcomes,
        common,
      );
    },
  );
}

function outcomeOf(p: RestorePoint): PrunePointOutcome {
  return { id: p.id, vmUuid: p.vmUuid, vmName: p.vmName, time: p.time, reason: DELETED_BY_REQUEST };
}

/** "restore point 2026-11-23 10:00 of web-01", "3 restore points of web-01", "5 restore points of 2 VMs". */
function pointsTitle(points: readonly RestorePoint[]): string {
  const vms = [...new Set(points.map((p) => p.vmName))];
  const of = vms.length === 1 ? vms[0]! : `${vms.length} VMs`;
  if (points.length === 1) return `restore point ${points[0]!.time} of ${of}`;
  return `${points.length} restore points of ${of}`;
}

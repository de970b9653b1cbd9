import { PruneJobResult, type Job, type PrunePointOutcome } from '../../../shared/domain/jobs';
import { pruneHeadline, pruneRemovals } from '../../../shared/prune-outcome';
import { recoveryTestHeadline, recoveryTestOutcome } from './recovery-test-text';

/** What an ended verify, prune or recovery test found, in the words the CLI prints; undefined for other jobs. */
export interface JobOutcome {
  /** "Would remove 2 restore points, keep 5." or the verify summary. */
  headline: string;
  /** The points a prune removed or would remove, newest first. */
  points: PrunePointOutcome[];
  /** "Would be removed" or "Removed": what happened to `points`. */
  pointsLabel: string;
}

export function jobOutcome(job: Job): JobOutcome | undefined {
  if (job.status === 'running' || job.status === 'queued') return undefined;
  if (job.kind === 'verify') {
    // The verify's one task carries its summary ("14 points, 4 packs, 32 chunks re-hashed").
    const message = job.status === 'succeeded' ? job.tasks[0]?.message : undefined;
    return message === undefined
      ? undefined
      : { headline: `Checked ${message}.`, points: [], pointsLabel: '' };
  }
  if (job.kind === 'restore') {
    // A recovery test that passed says how the copy came up; a failed one has its error.
    const test = job.status === 'succeeded' ? recoveryTestOutcome(job.result) : undefined;
    return test === undefined
      ? undefined
      : { headline: recoveryTestHeadline(test), points: [], pointsLabel: '' };
  }
  if (!removesPoints(job)) return undefined;
  const parsed = PruneJobResult.safeParse(job.result);
  // Prunes recorded before the result had this form keep their plain result rows.
  if (!parsed.success) return undefined;
  const points = [...pruneRemovals(parsed.data)].sort((a, b) => b.time.localeCompare(a.time));
  return {
    headline: pruneHeadline(parsed.data),
    points,
    pointsLabel: parsed.data.dryRun ? 'Would be removed' : 'Removed',
  };
}

/** Result keys a prune outcome shows as its own list (or its title says), not as result rows. */
const PRUNE_LIST_KEYS = new Set(['removed', 'wouldRemove', 'kept', 'skippedVms', 'dryRun']);

/** A prune's result without its point lists: what is left (space freed, packs) are plain rows. */
export function withoutPruneLists(
  result: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (result === undefined) return undefined;
  return Object.fromEntries(Object.entries(result).filter(([key]) => !PRUNE_LIST_KEYS.has(key)));
}

/** Prune and delete jobs report the same outcome: the points they removed (or would). */
function removesPoints(job: Job): boolean {
  return job.kind === 'prune' || job.kind === 'delete';
}

/** Whether a job's result is a prune outcome (its lists are shown as tables, not as rows). */
export function isPruneOutcome(job: Job): boolean {
  return removesPoints(job) && PruneJobResult.safeParse(job.result).success;
}

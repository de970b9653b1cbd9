import type { PruneJobResult, PrunePointOutcome } from './domain/jobs';
import { formatBytes } from './format';

/** The same sentences in the job log, the CLI and the console. */

function points(n: number): string {
  return `${n} restore point${n === 1 ? '' : 's'}`;
}

/** Why a point deleted by hand goes, in the words the prune report shows next to it. */
export const DELETED_BY_REQUEST = 'deleted by request';

/** Why a VM's points were left alone by a prune. */
export function skippedVmText(vm: { vmName: string; points: number }): string {
  return `${vm.vmName}: no subclient on this console sets its retention; its ${
    vm.points === 1 ? '1 point is' : `${vm.points} points are`
  } kept`;
}

/** The points a prune removed, or would remove in a dry run. */
export function pruneRemovals(result: PruneJobResult): PrunePointOutcome[] {
  return (result.dryRun ? result.wouldRemove : result.removed) ?? [];
}

/**
 * One sentence for the whole prune: "Would remove 2 restore points, keep 5." or "Removed 2
 * restore points, kept 5, freed 3.1 MiB." A removal that frees nothing says why, so 0 B does not
 * read as a failure.
 */
export function pruneHeadline(result: PruneJobResult): string {
  const removals = pruneRemovals(result);
  if (removals.length > 0 && removals.every((p) => p.reason === DELETED_BY_REQUEST))
    return deletionHeadline(result, removals.length);
  const gone = removals.length;
  // Points of VMs without retention stay too; the warnings say which VMs those are.
  const kept = result.kept.length + result.skippedVms.reduce((sum, vm) => sum + vm.points, 0);
  if (result.dryRun)
    return gone === 0
      ? `Would remove nothing, keep ${kept}.`
      : `Would remove ${points(gone)}, keep ${kept}.`;
  if (gone === 0) return `Removed nothing, kept ${kept}.`;
  const freed = result.freedBytes ?? 0;
  return `Removed ${points(gone)}, kept ${kept}, freed ${formatBytes(freed)}${
    freed === 0 ? ' (their data is shared with the points kept)' : ''
  }.`;
}

/**
 * A deletion by request: "kept 0" read like data loss (review M11), so it says what of the VMs'
 * points remains instead, or nothing when none does (the confirmation said they were the last).
 */
function deletionHeadline(result: PruneJobResult, gone: number): string {
  const left = result.kept.length;
  const vms = [...new Set(result.kept.map((p) => p.vmName))];
  const of = vms.length === 1 ? vms[0]! : `${vms.length} VMs`;
  const remain =
    left === 0
      ? ''
      : `; ${left} other restore point${left === 1 ? '' : 's'} of ${of} ${
          result.dryRun ? 'would remain' : left === 1 ? 'remains' : 'remain'
        }`;
  if (result.dryRun) return `Would remove ${points(gone)}${remain}.`;
  const freed = result.freedBytes ?? 0;
  return `Removed ${points(gone)}, freed ${formatBytes(freed)}${
    freed === 0 ? ' (their data is shared with other points)' : ''
  }${remain}.`;
}

/** "lab-web-01 2026-11-23 03:46 — not kept by …" with the time as the reader wants it. */
export function prunePointLine(
  point: PrunePointOutcome,
  formatTime: (iso: string) => string,
): string {
  return `${point.vmName} ${formatTime(point.time)} — ${point.reason}`;
}

import type { PruneJobResult, PrunePointOutcome } from './domain/jobs';
import { formatBytes } from './format';

/** The same sentences in the job log, the CLI and the console. */

function points(n: number): string {
  return `${n} restore point${n === 1 ? '' : 's'}`;
}

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
  const gone = pruneRemovals(result).length;
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

/** "lab-web-01 2026-11-23 03:46 — not kept by …" with the time as the reader wants it. */
export function prunePointLine(
  point: PrunePointOutcome,
  formatTime: (iso: string) => string,
): string {
  return `${point.vmName} ${formatTime(point.time)} — ${point.reason}`;
}

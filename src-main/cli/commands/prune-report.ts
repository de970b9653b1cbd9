import { PruneJobResult, type Job } from '../../../shared/domain/jobs';
import { pruneHeadline, pruneRemovals } from '../../../shared/prune-outcome';

/**
 * What a prune removed (or, dry run, would remove) and kept, VM by VM, after the job's status
 * line. `--json` prints the job itself: its result carries the same lists.
 */
export function printPruneOutcome(job: Job): void {
  const parsed = PruneJobResult.safeParse(job.result);
  if (!parsed.success) return;
  const result = parsed.data;
  console.log(pruneHeadline(result));
  const verb = result.dryRun ? 'would remove' : 'removed';
  const rows = [
    ...pruneRemovals(result).map((p) => ({ ...p, action: verb })),
    ...result.kept.map((p) => ({ ...p, action: 'keep' })),
  ];
  const byVm = new Map<string, typeof rows>();
  for (const row of rows) byVm.set(row.vmName, [...(byVm.get(row.vmName) ?? []), row]);
  const width = Math.max(0, ...rows.map((r) => r.action.length));
  for (const [vmName, vmRows] of [...byVm].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`${vmName}:`);
    for (const row of vmRows.sort((a, b) => b.time.localeCompare(a.time)))
      console.log(`  ${row.action.padEnd(width)}  ${row.time}  ${row.id}  ${row.reason}`);
  }
  // The VMs left alone are the job's warnings, printed above with its status.
}

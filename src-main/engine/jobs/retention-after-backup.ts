import { toErrorData } from '../../../shared/errors';
import type { Engine } from '../engine';
import { selectRetention } from '../repository/retention';
import type { JobContext } from './job-controller';
import { startPruneJob } from './maintenance-jobs';

/** A point a backup job just committed: retention is applied to its VM in its repository. */
export interface CommittedPoint {
  vmUuid: string;
  repository: string;
}

/**
 * Applies the subclient's retention after a backup, as Veeam and Xen Orchestra do after each
 * job run: an administrator who sets "keep the last 7" expects the eighth point to go without
 * running prune by hand. Only the VMs this job gave a new point are considered, so a VM whose
 * backups fail keeps the points it has; VMs no subclient covers keep theirs (as in prune).
 *
 * Whether anything goes is decided here from the console's list of points (no repository read);
 * only then a prune job of just those VMs starts, which decides again from the repository, the
 * truth, and frees the space once no backup or restore holds the repository (it may wait for
 * other jobs without holding this one up). Returns the jobs started.
 */
export function applyRetentionAfterBackup(
  engine: Engine,
  ctx: JobContext,
  backupTitle: string,
  committed: readonly CommittedPoint[],
): string[] {
  const byRepository = new Map<string, Set<string>>();
  for (const c of committed) {
    const key = c.repository.toLowerCase();
    byRepository.set(key, (byRepository.get(key) ?? new Set()).add(c.vmUuid));
  }
  const started: string[] = [];
  for (const [repository, vmUuids] of byRepository) {
    let removable = 0;
    for (const vmUuid of vmUuids) {
      const owner = engine.backupSets.subclientOfVm(vmUuid);
      if (!owner) continue;
      const points = engine.repositories
        .points(vmUuid)
        .filter((p) => p.repository.toLowerCase() === repository && !p.protection);
      const decisions = selectRetention(
        points.map((p) => ({ id: p.id, time: new Date(p.time), group: vmUuid })),
        owner.settings.retention,
        owner.settings.schedule.timezone,
      );
      removable += decisions.filter((d) => !d.keep).length;
    }
    if (removable === 0) continue;
    try {
      const job = startPruneJob(engine, repository, false, {
        vmUuids,
        title: `Prune ${repository} after ${lowerFirst(backupTitle)}`,
      });
      started.push(job.id);
      ctx.log(
        `Retention: ${removable} older restore point(s) are no longer kept; job ${job.id} removes them and frees the space`,
      );
    } catch (err) {
      ctx.warn(
        `Retention was not applied in repository ${repository}: ${toErrorData(err).message}`,
      );
    }
  }
  return started;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

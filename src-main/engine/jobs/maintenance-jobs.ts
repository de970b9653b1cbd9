import type { SubclientSettings } from '../../../shared/domain/backup-set';
import type { Job, PruneJobResult, PrunePointOutcome } from '../../../shared/domain/jobs';
import { HyperkeepError } from '../../../shared/errors';
import { skippedVmText } from '../../../shared/prune-outcome';
import type { Engine } from '../engine';
import { selectRetention } from '../repository/retention';
import { removePointsAndFreeSpace } from './remove-points';

/** `verify [--read-data]` as a job: a damaged repository fails the job and names the affected points. */
export function startVerifyJob(
  engine: Engine,
  repositoryName: string,
  readData: boolean,
  scheduled = false,
): Job {
  engine.repositories.assertRegistered(repositoryName);
  return engine.jobs.start(
    'verify',
    `${scheduled ? 'Scheduled verify' : 'Verify'} ${repositoryName}${readData ? ' (read all data)' : ''}`,
    async (ctx) => {
      const repository = await engine.repositories.get(repositoryName);
      const task = ctx.task(repositoryName, `repository ${repositoryName}`);
      const report = await repository.verify({
        readData,
        onProgress: (bytesDone, bytesTotal) =>
          task.progress({ phase: 'reading packs', bytesDone, bytesTotal }),
      });
      if (!report.ok) {
        for (const e of report.errors)
          ctx.log(`${e.kind}: ${e.message} (affects ${e.points.join(', ') || 'no point'})`);
        task.finish('failed', `${report.errors.length} problem(s)`);
        const points = [...new Set(report.errors.flatMap((e) => e.points))];
        throw new HyperkeepError(
          'INTERNAL',
          `The repository is damaged: ${report.errors.length} problem(s); restore points affected: ${points.join(', ') || 'none'}.`,
          {
            errors: report.errors,
            points,
          },
        );
      }
      task.finish(
        'succeeded',
        `${report.points} points, ${report.packs} packs${readData ? `, ${report.blobsChecked} chunks re-hashed` : ''}`,
      );
      return { ...report };
    },
  );
}

/**
 * `prune`: each VM keeps what its subclient's retention says; then the space comes back (gc).
 * A VM no subclient on this console covers (a repository attached to a new console, a subclient
 * deleted since) keeps every point: the policy that made them is not known here, and a built-in
 * default would delete points its own retention kept.
 */
export function startPruneJob(
  engine: Engine,
  repositoryName: string,
  dryRun: boolean,
  /** Only these VMs (retention applied after a backup, see retention-after-backup.ts). */
  scope?: { vmUuids: ReadonlySet<string>; title: string },
): Job {
  engine.repositories.assertRegistered(repositoryName);
  return engine.jobs.start(
    'prune',
    scope?.title ?? `Prune ${repositoryName}${dryRun ? ' (dry run)' : ''}`,
    async (ctx): Promise<PruneJobResult> => {
      const repository = await engine.repositories.get(repositoryName);
      const manifests = (await repository.listPoints()).filter(
        (m) => !scope || scope.vmUuids.has(m.vm.uuid),
      );
      const holds = await repository.listHolds();
      const byVm = new Map<string, typeof manifests>();
      for (const m of manifests) byVm.set(m.vm.uuid, [...(byVm.get(m.vm.uuid) ?? []), m]);
      const removals: PrunePointOutcome[] = [];
      const kept: PrunePointOutcome[] = [];
      const skippedVms: PruneJobResult['skippedVms'] = [];
      for (const [vmUuid, points] of byVm) {
        const vmName = points[0]!.vm.name;
        const owner = engine.backupSets.subclientOfVm(vmUuid);
        if (!owner) {
          const skipped = { vmUuid, vmName, points: points.length };
          skippedVms.push(skipped);
          ctx.warn(skippedVmText(skipped));
          continue;
        }
        const { retention, schedule } = owner.settings;
        const policyText = `the retention of ${owner.backupSet} / ${owner.subclient} (${describeRetention(retention)})`;
        ctx.log(`${vmName}: ${policyText}, days in ${schedule.timezone}`);
        // Days and weeks are the subclient's, in the time zone its schedule runs in: a daily
        // schedule then has exactly one point per "daily" bucket.
        // Protected points are kept, outside the rules: they neither count as "the last N" nor
        // take a day's place.
        for (const m of points.filter((p) => holds.has(p.id))) {
          const reason = protectedReason(holds.get(m.id)!);
          ctx.log(`${vmName} ${m.id}: keep (${reason})`);
          kept.push({ id: m.id, vmUuid, vmName, time: m.startedAt, reason });
        }
        const decisions = selectRetention(
          points
            .filter((m) => !holds.has(m.id))
            .map((m) => ({ id: m.id, time: new Date(m.startedAt), group: vmUuid })),
          retention,
          schedule.timezone,
        );
        const timeOf = new Map(points.map((m) => [m.id, m.startedAt]));
        for (const d of decisions) {
          const reason = d.keep ? d.reasons.join(', ') : `not kept by ${policyText}`;
          ctx.log(`${vmName} ${d.id}: ${d.keep ? `keep (${reason})` : 'remove'}`);
          const outcome = { id: d.id, vmUuid, vmName, time: timeOf.get(d.id)!, reason };
          (d.keep ? kept : removals).push(outcome);
        }
      }
      const common = { kept, skippedVms };
      if (dryRun) return { dryRun, wouldRemove: removals, ...common };
      return removePointsAndFreeSpace(
        engine,
        ctx,
        { handle: repository, name: repositoryName },
        removals,
        common,
      );
    },
  );
}

/** "protected (before the upgrade to 12.4)": why prune keeps a protected point. */
function protectedReason(hold: { reason: string }): string {
  return hold.reason ? `protected (${hold.reason})` : 'protected';
}

/** "last 2, daily 14, weekly 8": the rules that keep anything. */
function describeRetention(retention: SubclientSettings['retention']): string {
  const rules: [string, number][] = [
    ['last', retention.keepLast],
    ['daily', retention.keepDaily],
    ['weekly', retention.keepWeekly],
    ['monthly', retention.keepMonthly],
    ['yearly', retention.keepYearly],
  ];
  return rules
    .filter(([, n]) => n > 0)
    .map(([rule, n]) => `${rule} ${n}`)
    .join(', ');
}

import { SubclientSettings } from '../../../shared/domain/backup-set';
import type { Job } from '../../../shared/domain/jobs';
import { HyperkeepError } from '../../../shared/errors';
import type { Engine } from '../engine';
import { selectRetention } from '../repository/retention';

/** `verify [--read-data]` as a job: a damaged repository fails the job and names the affected points. */
export function startVerifyJob(engine: Engine, repositoryName: string, readData: boolean): Job {
  return engine.jobs.start(
    'verify',
    `Verify ${repositoryName}${readData ? ' (read all data)' : ''}`,
    async (ctx) => {
      const repository = await engine.repositories.get(repositoryName);
      const task = ctx.task(repositoryName, `repository ${repositoryName}`);
      const report = await repository.verify({
        readData,
        onProgress: (done, total) =>
          task.progress({ phase: 'checking', bytesDone: done, bytesTotal: total }),
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

/** `prune`: each VM keeps what its subclient's retention says; then the space comes back (gc). */
export function startPruneJob(engine: Engine, repositoryName: string, dryRun: boolean): Job {
  return engine.jobs.start(
    'prune',
    `Prune ${repositoryName}${dryRun ? ' (dry run)' : ''}`,
    async (ctx) => {
      const repository = await engine.repositories.get(repositoryName);
      const manifests = await repository.listPoints();
      const byVm = new Map<string, typeof manifests>();
      for (const m of manifests) byVm.set(m.vm.uuid, [...(byVm.get(m.vm.uuid) ?? []), m]);
      const remove: string[] = [];
      for (const [vmUuid, points] of byVm) {
        const policy = (engine.backupSets.settingsOfVm(vmUuid) ?? SubclientSettings.parse({}))
          .retention;
        const decisions = selectRetention(
          points.map((m) => ({ id: m.id, time: new Date(m.startedAt), group: vmUuid })),
          policy,
          Intl.DateTimeFormat().resolvedOptions().timeZone,
        );
        for (const d of decisions) {
          ctx.log(
            `${points[0]!.vm.name} ${d.id}: ${d.keep ? `keep (${d.reasons.join(', ')})` : 'remove'}`,
          );
          if (!d.keep) remove.push(d.id);
        }
      }
      if (dryRun) return { wouldRemove: remove };
      await repository.deletePoints(remove);
      engine.repositories.forgetPoints(repositoryName, remove);
      engine.fileCatalog.forgetPoints(repositoryName, remove);
      engine.events.emit('points.changed', {});
      ctx.phase('collecting garbage');
      const gc = await repository.gc();
      return { removed: remove, ...gc };
    },
  );
}

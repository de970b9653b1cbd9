import type { Job } from '../../../shared/domain/jobs';
import type { FileRestoreRequest } from '../../../shared/domain/restore';
import { HyperkeepError } from '../../../shared/errors';
import type { Engine } from '../engine';
import { restoreFilesToGuest } from '../restore/guest/guest-file-restore';
import { normalizeGuestDest } from '../restore/guest/guest-paths';
import { openGuestTarget } from '../restore/guest/guest-target';
import { CatalogPointSource } from '../restore/catalog-file-source';
import { findRestorePoint } from '../restore/point-lookup';
import { reportFileRestore } from './restore-files-job';

/** Agent commands a restore into the guest uses; an agent started with an allow-list may lack some. */
const NEEDED_COMMANDS = [
  'guest-file-open',
  'guest-file-write',
  'guest-file-seek',
  'guest-file-close',
  'guest-exec',
  'guest-exec-status',
];

/**
 * FIG. 12 file restore with the VM as the destination computer: the selected files and folders
 * written into a running libvirt VM through its QEMU guest agent, as a job with live progress,
 * the skipped items by name and reason, and a log. The agent is asked before the job starts, so
 * "the agent is not running" comes back at once instead of as a failed job.
 */
export async function startRestoreFilesToGuestJob(
  engine: Engine,
  request: FileRestoreRequest,
): Promise<Job> {
  const point = findRestorePoint(engine, request.vm, request.pointId);
  const target = await openGuestTarget(engine, request.guestVm ?? point.vmUuid);
  const { commands } = await target.agent.info();
  const missing = NEEDED_COMMANDS.filter((c) => !commands.has(c));
  if (missing.length > 0)
    throw new HyperkeepError(
      'INVALID_INPUT',
      `The QEMU guest agent in VM ${target.vmName} does not allow ${missing.join(', ')} (started with --block-rpcs or an allow-list?): enable them to restore files into the VM.`,
      { reason: 'AGENT_COMMANDS_BLOCKED', missing },
    );
  // A wrong folder is refused now, with the field, rather than as a failed job.
  const dest = normalizeGuestDest(request.dest, target.os.windows ? 'windows' : 'posix');
  const count = request.paths.length;
  return engine.jobs.start(
    'restore',
    `Restore ${count === 1 ? request.paths[0] : `${count} items`} of ${point.vmName} (${point.time}) into VM ${target.vmName}: ${dest}`,
    async (ctx) => {
      const repository = await engine.repositories.get(point.repository);
      const task = ctx.task('files', `${point.vmName} files into ${target.vmName}`);
      ctx.log(
        `Guest agent of ${target.vmName}: ${target.os.name || 'unknown OS'}${target.os.windows ? ' (Windows paths)' : ''}`,
      );
      const source = await CatalogPointSource.open(
        repository,
        engine.fileCatalog,
        point.id,
        point.disks.map((d) => d.name),
      );
      try {
        const result = await restoreFilesToGuest(
          source,
          target.agent,
          { ...request, dest, windows: target.os.windows },
          { signal: ctx.signal, progress: (u) => task.progress(u), log: (l) => ctx.log(l) },
        );
        return { ...reportFileRestore(ctx, task, result), vm: target.vmName };
      } catch (err) {
        task.fail(err);
        throw err;
      } finally {
        await source.close();
      }
    },
  );
}

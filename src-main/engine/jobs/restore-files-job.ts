import { isAbsolute, resolve } from 'node:path';
import type { Job } from '../../../shared/domain/jobs';
import type { FileRestoreRequest } from '../../../shared/domain/restore';
import { HyperkeepError } from '../../../shared/errors';
import type { Engine } from '../engine';
import type { JobContext, TaskHandle } from './job-controller';
import { restoreFilesToFolder, type FileRestoreResult } from '../restore/file-restore';
import { CatalogPointSource } from '../restore/catalog-file-source';
import { findRestorePoint } from '../restore/point-lookup';

/** Skipped items listed one per line in the job's warnings; more are in the result and the log. */
const MAX_SKIPPED_WARNINGS = 50;
/** The job's result is stored in the catalog: the full list of a huge skip goes to the log only. */
const MAX_SKIPPED_IN_RESULT = 1000;

/**
 * FIG. 12 file restore as a job: the selected files and folders of a restore point into a folder
 * of the console's host, with live progress, the skipped items by name and reason, and a log.
 */
export function startRestoreFilesJob(engine: Engine, request: FileRestoreRequest): Job {
  if (request.destination === 'guest')
    throw new HyperkeepError(
      'INTERNAL',
      'A restore into the guest starts with startRestoreFilesToGuestJob',
    );
  if (!isAbsolute(request.dest))
    throw new HyperkeepError(
      'INVALID_INPUT',
      `The destination folder must be an absolute path, not "${request.dest}".`,
      {
        field: 'dest',
      },
    );
  const point = findRestorePoint(engine, request.vm, request.pointId);
  const dest = resolve(request.dest);
  const count = request.paths.length;
  return engine.jobs.start(
    'restore',
    `Restore ${count === 1 ? request.paths[0] : `${count} items`} of ${point.vmName} (${point.time}) to ${dest}`,
    async (ctx) => {
      const repository = await engine.repositories.get(point.repository);
      const task = ctx.task('files', `${point.vmName} files`);
      const source = await CatalogPointSource.open(
        repository,
        engine.fileCatalog,
        point.id,
        point.disks.map((d) => d.name),
      );
      try {
        const result = await restoreFilesToFolder(
          source,
          { ...request, dest },
          { signal: ctx.signal, progress: (u) => task.progress(u), log: (l) => ctx.log(l) },
        );
        return reportFileRestore(ctx, task, result);
      } catch (err) {
        task.fail(err);
        throw err;
      } finally {
        await source.close();
      }
    },
  );
}

/** "1 file", "0 folders", "2 links". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * The end of a file restore job (to a folder or into a guest): skipped items and notes as
 * warnings, the task's summary, and the result as stored in the catalog.
 */
export function reportFileRestore(
  ctx: JobContext,
  task: TaskHandle,
  result: FileRestoreResult,
): FileRestoreResult & { skippedCount: number } {
  for (const s of result.skipped.slice(0, MAX_SKIPPED_WARNINGS))
    ctx.warn(`Not restored: ${s.path} — ${s.reason}`);
  if (result.skipped.length > MAX_SKIPPED_WARNINGS)
    ctx.warn(
      `… and ${result.skipped.length - MAX_SKIPPED_WARNINGS} more items not restored (see the job's log).`,
    );
  for (const note of result.notes) ctx.warn(note);
  const summary = `${count(result.files, 'file')}, ${count(result.folders, 'folder')}, ${count(result.symlinks, 'link')} restored${result.skipped.length ? `, ${result.skipped.length} skipped` : ''}`;
  task.finish(result.failed > 0 ? 'failed' : 'succeeded', summary);
  return {
    ...result,
    skipped: result.skipped.slice(0, MAX_SKIPPED_IN_RESULT),
    skippedCount: result.skipped.length,
  };
}

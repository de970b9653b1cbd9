import type { Job } from '../../../shared/domain/jobs';
import type { DiskRestoreRequest } from '../../../shared/domain/restore';
import type { Engine } from '../engine';
import { copyToSink, createImageSink } from '../restore/image-export';
import { imageDestination } from '../restore/image-destination';
import { findPointDisk, findRestorePoint } from '../restore/point-lookup';

/**
 * FIG. 14B: a virtual disk of a restore point as an image file in any supported format. Written
 * as DEST.partial and renamed at the end, so an interrupted restore never leaves a file that
 * looks complete; zero blocks stay holes.
 */
export async function startRestoreDiskJob(
  engine: Engine,
  request: DiskRestoreRequest,
): Promise<Job> {
  const point = findRestorePoint(engine, request.vm, request.pointId);
  const disk = findPointDisk(point, request.disk);
  const dest = await imageDestination(request.dest);
  // Created before the job starts: an existing file or a bad folder is the answer to the request.
  const sink = await createImageSink(request.format, dest, disk.sizeBytes, {
    overwrite: request.overwrite,
  });
  return engine.jobs.start(
    'restore',
    `Restore ${point.vmName} ${disk.name} (${point.time}) as ${request.format} to ${dest}`,
    async (ctx) => {
      let reader;
      try {
        const repository = await engine.repositories.get(point.repository);
        reader = await repository.openDisk(point.id, disk.name);
      } catch (err) {
        await sink.abort();
        throw err;
      }
      try {
        const task = ctx.task(disk.name, `${point.vmName} ${disk.name}`);
        task.progress({ phase: 'writing', bytesTotal: reader.size });
        const bytes = await copyToSink(reader, sink, {
          signal: ctx.signal,
          progress: (bytesDone) => task.progress({ bytesDone }),
        });
        task.finish('succeeded', `${bytes} bytes as ${request.format}`);
        return { dest, format: request.format, disk: disk.name, bytes };
      } finally {
        await reader.close();
      }
    },
  );
}

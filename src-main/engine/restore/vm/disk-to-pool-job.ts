/**
 * FIG. 14B, "into a hypervisor storage pool": one virtual disk of a restore point becomes a new
 * volume in a pool of a registered libvirt host, uploaded through libvirt's volume stream. A
 * failure deletes the volume again, so the pool never keeps a half-written disk.
 */
import type { Job } from '../../../../shared/domain/jobs';
import type { DiskToPoolRequest } from '../../../../shared/domain/restore';
import { HyperkeepError } from '../../../../shared/errors';
import { formatBytes } from '../../../../shared/format';
import type { Engine } from '../../engine';
import { resolvePool, uploadToNewVolume, volumeExists } from './pool-volumes';
import { destinationOf, findPoint, UndoLog } from './restore-context';

/** Volume names a pool of any type accepts and that never leave the pool's directory. */
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/;

export async function startDiskToPoolJob(engine: Engine, request: DiskToPoolRequest): Promise<Job> {
  if (!VOLUME_NAME.test(request.volumeName) || request.volumeName.includes('..')) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `"${request.volumeName}" is not a usable volume name: use letters, digits, '.', '_', '+' ` +
        "and '-' (no '..', no '/').",
      { field: 'volumeName' },
    );
  }
  const { point, repository } = await findPoint(engine, request.vm, request.pointId);
  const disk = point.disks.find((d) => d.name === request.disk);
  if (!disk) {
    throw new HyperkeepError(
      'NOT_FOUND',
      `Restore point ${point.id} has no disk ${request.disk} (it has ` +
        `${point.disks.map((d) => d.name).join(', ')}).`,
      { field: 'disk' },
    );
  }
  const destination = await destinationOf(engine, request.hypervisorId);
  const { connector } = destination;
  const pool = await resolvePool(connector, request.pool);
  if (await volumeExists(connector, pool.ref, request.volumeName)) {
    throw new HyperkeepError(
      'ALREADY_EXISTS',
      `Volume ${request.volumeName} already exists in pool ${pool.summary.name} on ` +
        `${destination.hypervisorName}: choose another name.`,
      { field: 'volumeName' },
    );
  }
  const title =
    `Restore ${point.vmName} ${disk.name} (${point.time}) into ` +
    `${destination.hypervisorName} pool ${pool.summary.name} as ${request.volumeName}`;
  return engine.jobs.start('restore', title, async (ctx) => {
    const undo = new UndoLog(ctx);
    const task = ctx.task(disk.name, `${disk.name} → ${pool.summary.name}/${request.volumeName}`);
    task.progress({ phase: 'uploading', bytesTotal: disk.sizeBytes });
    const reader = await repository.openDisk(point.id, disk.name);
    try {
      const uploaded = await uploadToNewVolume({
        connector,
        pool: pool.ref,
        volumeName: request.volumeName,
        format: request.format,
        reader,
        signal: ctx.signal,
        onProgress: (bytesDone, phase) => task.progress({ bytesDone, phase }),
        log: (line) => ctx.log(line),
        onCreated: (vol) => undo.addVolume(connector, vol),
        onDeleted: (vol) => undo.forgetVolume(vol),
      });
      task.finish('succeeded', `${formatBytes(disk.sizeBytes)} into ${uploaded.path}`);
      return {
        hypervisor: destination.hypervisorName,
        pool: pool.summary.name,
        volume: request.volumeName,
        path: uploaded.path,
        format: uploaded.format,
        bytes: disk.sizeBytes,
      };
    } catch (err) {
      await undo.rollback();
      throw err;
    } finally {
      await reader.close();
    }
  });
}

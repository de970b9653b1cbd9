import type { Job } from '../../../shared/domain/jobs';
import type { VolumeRestoreRequest, VolumeToDeviceRequest } from '../../../shared/domain/restore';
import type { Engine } from '../engine';
import { checkTargetDevice, DeviceSink, type DeviceInfo } from '../restore/device-target';
import { copyToSink, createImageSink, type ImageSink } from '../restore/image-export';
import { imageDestination } from '../restore/image-destination';
import { findRestorePoint } from '../restore/point-lookup';
import { openPointVolumes } from '../restore/point-volumes';
import type { VolumeInfo } from '../volumes/detect';

/** FIG. 13A: one volume of a restore point as an image file (raw, qcow2, VMDK, VHD, VHDX). */
export async function startRestoreVolumeJob(
  engine: Engine,
  request: VolumeRestoreRequest,
): Promise<Job> {
  const point = findRestorePoint(engine, request.vm, request.pointId);
  const dest = await imageDestination(request.dest);
  const repository = await engine.repositories.get(point.repository);
  // Opened before the job starts: a missing volume or an existing file is the answer to the request.
  const volumes = await openPointVolumes(
    repository,
    point.id,
    point.disks.map((d) => d.name),
  );
  let target: { volume: VolumeInfo; sink: ImageSink };
  try {
    const volume = volumes.find(request.volume);
    const sink = await createImageSink(request.format, dest, volume.size, {
      overwrite: request.overwrite,
    });
    target = { volume, sink };
  } catch (err) {
    await volumes.close();
    throw err;
  }
  const { volume, sink } = target;
  return engine.jobs.start(
    'restore',
    `Restore volume ${volume.name} of ${point.vmName} (${point.time}) as ${request.format} to ${dest}`,
    async (ctx) => {
      try {
        const task = ctx.task(volume.name, `${point.vmName} ${volume.name}`);
        task.progress({ phase: 'writing', bytesTotal: volume.size });
        const bytes = await copyToSink(volume.reader, sink, {
          signal: ctx.signal,
          progress: (bytesDone) => task.progress({ bytesDone }),
        });
        task.finish('succeeded', `${bytes} bytes as ${request.format}`);
        return { dest, format: request.format, volume: volume.name, bytes };
      } finally {
        await volumes.close();
      }
    },
  );
}

/**
 * FIG. 13B: one volume onto a block device of the console's host. The checks and the exclusive
 * open happen before the job starts, so a refusal is the answer to the request; the exclusive
 * open then keeps anyone from mounting the device while the job writes it.
 */
export async function startRestoreVolumeToDeviceJob(
  engine: Engine,
  request: VolumeToDeviceRequest,
): Promise<Job> {
  const point = findRestorePoint(engine, request.vm, request.pointId);
  // The confirmation first: a typo must not cost opening the repository.
  if (request.device !== request.confirmDevice)
    await checkTargetDevice(request.device, request.confirmDevice, 0);
  const repository = await engine.repositories.get(point.repository);
  const volumes = await openPointVolumes(
    repository,
    point.id,
    point.disks.map((d) => d.name),
  );
  let target: { volume: VolumeInfo; device: DeviceInfo; sink: DeviceSink };
  try {
    const volume = volumes.find(request.volume);
    const device = await checkTargetDevice(request.device, request.confirmDevice, volume.size);
    target = { volume, device, sink: await DeviceSink.open(device) };
  } catch (err) {
    await volumes.close();
    throw err;
  }
  const { volume, device, sink } = target;
  return engine.jobs.start(
    'restore',
    `Restore volume ${volume.name} of ${point.vmName} (${point.time}) onto ${device.path}`,
    async (ctx) => {
      try {
        const task = ctx.task(volume.name, `${point.vmName} ${volume.name} → ${device.path}`);
        ctx.log(`Writing ${volume.size} bytes onto ${device.path} (${device.sizeBytes} bytes)`);
        task.progress({ phase: 'writing', bytesTotal: volume.size });
        const bytes = await copyToSink(volume.reader, sink, {
          signal: ctx.signal,
          writeZeros: true,
          progress: (bytesDone) => task.progress({ bytesDone }),
        });
        task.finish('succeeded', `${bytes} bytes written`);
        return { device: device.path, volume: volume.name, bytes };
      } finally {
        await volumes.close();
      }
    },
  );
}

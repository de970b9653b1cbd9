/**
 * Backup of a powered-off VM without starting it: each disk image is streamed through libvirt's
 * storage-volume download (so remote hosts work the same), decoded here (qcow2 with its backing
 * chain, or raw), and only its allocated data read. An incremental reads only what the guest
 * wrote since the previous point's checkpoint when the qcow2 image holds that checkpoint's
 * bitmap (offline-changes.ts); otherwise it compares block identifiers with the repository and
 * stores what is new.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { HyperkeepError } from '../../../shared/errors';
import { STORAGE_VOL_GET_INFO_FLAGS, VolInfoFlags } from '../connectors/libvirt/backup-procedures';
import { DOMAIN_GET_STATE, invoke, isPoweredOff } from '../connectors/libvirt/procedures';
import type { DiskImage } from '../formats/disk-image';
import { QCOW2_MAGIC } from '../formats/qcow2/qcow2-header';
import { Qcow2Image } from '../formats/qcow2/qcow2-image';
import { RawImage } from '../formats/raw/raw-image';
import type { PointWriter } from '../repository/point-writer';
import { copyDisk, stepBytes, type CopyStep } from './disk-copy';
import { readRateLimitFor } from './read-rate-limit';
import { allocationSteps } from './copy-steps';
import { planOfflineDisk } from './offline-changes';
import { formatBytes } from '../../../shared/format';
import type { Consistency } from './types';
import { mapLimit } from '../io/map-limit';
import { checkpointOf } from './checkpoints';
import {
  backedUp,
  fallbackText,
  pointMeta,
  type PathResult,
  type PlannedDisk,
  type VmBackupContext,
} from './vm-context';
import { VolumeLocator } from './volume-locator';
import { VolumeByteSource } from './volume-source';

const PIECE_BYTES = 4 * 1024 * 1024;
const READS_IN_FLIGHT = 4;
const MAX_CHAIN = 16;
/** virDomainShutoffReason: the guest shut itself down, so its file systems were closed cleanly. */
const SHUTOFF_SHUTDOWN = 1;

interface OpenedDisk {
  disk: PlannedDisk;
  image: DiskImage;
  steps: CopyStep[];
  /** The checkpoint whose bitmap in the image said what to read, or null (read whole). */
  bitmap: string | null;
}

export async function backupPoweredOffVm(ctx: VmBackupContext): Promise<PathResult> {
  const { request } = ctx;
  const locator = new VolumeLocator(request.connector, ctx.log);
  const opened: OpenedDisk[] = [];
  const reasons: string[] = [];
  let writer: PointWriter | undefined;
  let committed = false;
  try {
    for (const disk of ctx.disks) {
      const image = await openVolumeImage(ctx, locator, disk);
      const entry: OpenedDisk = { disk, image, steps: [], bitmap: null };
      opened.push(entry);
      const allocation = await image.allocationMap();
      if (ctx.parent) {
        const plan = await planOfflineDisk(ctx.parent, disk.target, image, allocation);
        entry.steps = plan.steps;
        entry.bitmap = plan.bitmap;
        if (plan.reason) reasons.push(plan.reason);
      } else entry.steps = allocationSteps(allocation);
      ctx.progress.addTotal(stepBytes(entry.steps, 'read'));
    }
    writer = await request.repository.startPoint({
      vm: ctx.pointVm,
      ...(ctx.parent ? { parent: ctx.parent.id } : {}),
    });
    const pointWriter = writer;
    ctx.progress.phase('read');
    const rateLimit = readRateLimitFor(ctx.log, request.settings.readLimitMiBps);
    const outcomes = await mapLimit(opened, request.settings.dataReaders, async (o) => {
      const diskWriter = pointWriter.addDisk({ name: o.disk.target, sizeBytes: o.image.size });
      const toRead = formatBytes(stepBytes(o.steps, 'read'));
      ctx.log(
        o.bitmap
          ? `Reading ${toRead} of disk ${o.disk.target} written since checkpoint ${o.bitmap} (the bitmap its image kept when the VM stopped)`
          : `Reading ${toRead} allocated of disk ${o.disk.target}`,
      );
      const { readBytes } = await copyDisk({
        ...(o.bitmap && ctx.parent ? { parentPointId: ctx.parent.id } : {}),
        writer: diskWriter,
        steps: o.steps,
        read: (offset, length) => o.image.read(offset, length),
        pieceBytes: PIECE_BYTES,
        concurrency: READS_IN_FLIGHT,
        rateLimit,
        signal: request.signal,
        onRead: (n) => ctx.progress.read(n, o.disk.target),
      });
      return { target: o.disk.target, logicalBytes: o.image.size, readBytes, writer: diskWriter };
    });
    const consistency = await shutoffConsistency(ctx);
    const changeTracking = !ctx.parent
      ? 'none'
      : opened.every((o) => o.bitmap)
        ? 'checkpoint'
        : 'block-comparison';
    const fallbackReason = ctx.parent ? fallbackText(reasons, false) : undefined;
    ctx.progress.phase('commit');
    // No checkpoint can be made while the VM is off; the parent's stays the one the next
    // incremental starts from: its bitmap keeps marking every write since (offline-changes.ts).
    const checkpoint = ctx.parent ? checkpointOf(ctx.parent) : null;
    const manifest = await writer.commit({
      consistency,
      meta: {
        ...pointMeta(ctx, {
          powerState: 'shutoff',
          changeTracking,
          checkpoint,
          ...(fallbackReason ? { fallbackReason } : {}),
        }),
      },
    });
    committed = true;
    return {
      pointId: manifest.id,
      type: ctx.parent ? 'incremental' : 'full',
      changeTracking,
      consistency,
      ...(fallbackReason ? { fallbackReason } : {}),
      disks: backedUp(outcomes),
    };
  } finally {
    ctx.progress.phase('cleanup');
    if (!committed) await writer?.abort().catch(() => undefined);
    await Promise.allSettled(opened.map((o) => o.image.close()));
    await locator.release();
  }
}

/**
 * A VM the guest shut down itself is consistent; one powered off any other way is not. Asked
 * once every disk was read: a VM started meanwhile wrote to the volumes while they were read
 * (libvirt's volume download takes no lock), and its point would mix old and new blocks.
 */
async function shutoffConsistency(ctx: VmBackupContext): Promise<Consistency> {
  const { state, reason } = await invoke(ctx.request.connector.rpc, DOMAIN_GET_STATE, {
    dom: ctx.dom,
  });
  if (!isPoweredOff(state))
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      `VM ${ctx.pointVm.name} was started while its volumes were read, so its disks changed during the backup and the point would not be consistent. No restore point was made. Back it up again: now that it runs, the backup reads a checkpoint of its disks instead.`,
    );
  if (reason === SHUTOFF_SHUTDOWN) {
    ctx.log('The VM was shut down by its guest: its disks are consistent');
    return 'application-consistent';
  }
  ctx.log(
    'The VM was not shut down by its guest (powered off, crashed or never started here): crash-consistent',
  );
  return 'crash-consistent';
}

/** Opens a disk image and its backing chain as volumes streamed by libvirt. */
async function openVolumeImage(
  ctx: VmBackupContext,
  locator: VolumeLocator,
  disk: PlannedDisk,
): Promise<DiskImage> {
  const { connector, signal } = ctx.request;
  let path = disk.source;
  let format: string | undefined = disk.format;
  const seen = new Set<string>();
  let top: DiskImage | undefined;
  let child: Qcow2Image | undefined;
  try {
    for (;;) {
      if (seen.has(path) || seen.size >= MAX_CHAIN) {
        throw new HyperkeepError(
          'INVALID_INPUT',
          `Disk ${disk.target}: the backing chain of ${disk.source} loops or is deeper than ${MAX_CHAIN} images`,
        );
      }
      seen.add(path);
      const vol = await locator.find(path);
      const info = await invoke(connector.rpc, STORAGE_VOL_GET_INFO_FLAGS, {
        vol,
        flags: VolInfoFlags.PHYSICAL,
      });
      const label = `${path} on ${connector.endpoint}`;
      const file = RawImage.fromSource(
        new VolumeByteSource(connector.streams, vol, info.allocation, label, signal),
        label,
      );
      format ??= (await isQcow2(file)) ? 'qcow2' : 'raw';
      const image = await decode(file, format, disk.target);
      if (!top) top = image;
      else child?.attachBacking(image);
      if (!(image instanceof Qcow2Image) || image.parent === undefined) return top;
      const name = image.parent.candidates[0] ?? '';
      if (name === '' || name.startsWith('json:') || /^[a-z][a-z0-9+.-]*:\/\//i.test(name)) {
        throw new HyperkeepError(
          'INVALID_INPUT',
          `Disk ${disk.target}: ${path} has its backing image on "${name}", which is not a file libvirt can stream`,
        );
      }
      child = image;
      path = isAbsolute(name) ? name : resolve(dirname(path), name);
      format = image.parent.format;
    }
  } catch (err) {
    await top?.close().catch(() => undefined);
    throw err;
  }
}

async function decode(file: RawImage, format: string, target: string): Promise<DiskImage> {
  try {
    if (format === 'qcow2') return await Qcow2Image.fromFile(file);
    if (format === 'raw') return file;
  } catch (err) {
    await file.close();
    throw err;
  }
  await file.close();
  throw new HyperkeepError(
    'INVALID_INPUT',
    `Disk ${target} is a ${format} image: backups of powered-off VMs read qcow2 and raw images`,
  );
}

async function isQcow2(file: RawImage): Promise<boolean> {
  if (file.size < 4) return false;
  return Buffer.from(await file.read(0, 4)).readUInt32BE(0) === QCOW2_MAGIC;
}

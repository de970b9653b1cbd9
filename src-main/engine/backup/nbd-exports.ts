import { HyperkeepError } from '../../../shared/errors';
import type { RandomAccessReader } from '../io/random-access';
import { NbdClient, type NbdEndpoint } from '../nbd/client';
import { NbdDiskReader } from '../nbd/disk-reader';
import { BASE_ALLOCATION, dirtyBitmapContext } from '../nbd/extents';
import type { PointWriter } from '../repository/point-writer';
import type { RunningBackup } from './backup-xml';
import type { IncrementalPlan } from './checkpoints';
import { copyDisk, stepBytes, type CopyStep } from './disk-copy';
import { readRateLimitFor } from './read-rate-limit';
import { formatBytes } from '../../../shared/format';
import { planNbdSteps } from './nbd-steps';
import { mapLimit } from '../io/map-limit';
import { type DiskOutcome, type PlannedDisk, type VmBackupContext } from './vm-context';

const PIECE_BYTES = 4 * 1024 * 1024;
/** READs in flight per disk: enough to keep QEMU's NBD server busy, bounded in memory. */
const READS_IN_FLIGHT = 4;

export interface OpenExport {
  disk: PlannedDisk;
  client: NbdClient;
  /** The dirty bitmap context read for an incremental; undefined when the disk is read whole. */
  bitmap: string | undefined;
  steps: CopyStep[];
}

function endpointOf(running: RunningBackup, remoteHost: string | undefined): NbdEndpoint {
  return running.server.transport === 'unix'
    ? { socketPath: running.server.socket }
    : { host: remoteHost ?? running.server.host, port: running.server.port };
}

/**
 * Readers of the exports of `targets`, on connections of their own (the copy's are closed):
 * what the cataloging phase reads the committed point's file systems from. The caller closes them.
 */
export async function openExportReaders(
  running: RunningBackup,
  targets: string[],
  remoteHost: string | undefined,
  signal: AbortSignal,
): Promise<Map<string, RandomAccessReader>> {
  const readers = new Map<string, RandomAccessReader>();
  try {
    for (const target of targets) {
      const exported = running.disks.find((d) => d.target === target && d.backup);
      if (!exported) continue;
      const client = await NbdClient.connect({
        endpoint: endpointOf(running, remoteHost),
        exportName: exported.exportName,
        maxInFlight: READS_IN_FLIGHT * 4,
        signal,
      });
      readers.set(target, new NbdDiskReader(client));
    }
    return readers;
  } catch (err) {
    await Promise.allSettled([...readers.values()].map((r) => r.close()));
    throw err;
  }
}

/**
 * Connects to every disk's NBD export and plans what to read. A disk is read incrementally only
 * when libvirt exported exactly the changes since the checkpoint we asked for and the export
 * offers that bitmap; otherwise it is read whole (and `plan.reasons` says why).
 */
export async function openExports(
  ctx: VmBackupContext,
  running: RunningBackup,
  plan: IncrementalPlan,
  remoteHost: string | undefined,
): Promise<OpenExport[]> {
  const { signal } = ctx.request;
  const endpoint = endpointOf(running, remoteHost);
  const opened: OpenExport[] = [];
  try {
    for (const disk of ctx.disks) {
      const exported = running.disks.find((d) => d.target === disk.target && d.backup);
      if (!exported) {
        throw new HyperkeepError(
          'HYPERVISOR_ERROR',
          `libvirt's backup job does not export disk ${disk.target}`,
        );
      }
      const wanted = plan.from.get(disk.target);
      let bitmap: string | undefined;
      if (wanted !== undefined) {
        if (
          exported.mode === 'incremental' &&
          exported.incremental === wanted &&
          exported.exportBitmap
        ) {
          bitmap = dirtyBitmapContext(exported.exportBitmap);
        } else {
          plan.reasons.push(
            `libvirt exported disk ${disk.target} without its changes since ${wanted}`,
          );
        }
      }
      const client = await NbdClient.connect({
        endpoint,
        exportName: exported.exportName,
        metaContexts: bitmap ? [BASE_ALLOCATION, bitmap] : [BASE_ALLOCATION],
        maxInFlight: READS_IN_FLIGHT * 2,
        signal,
      });
      const entry: OpenExport = { disk, client, bitmap, steps: [] };
      opened.push(entry);
      const parentDisk = ctx.parent?.disks.find((d) => d.name === disk.target);
      if (entry.bitmap && !client.metaContexts.has(entry.bitmap)) {
        plan.reasons.push(`the NBD export of disk ${disk.target} does not offer its dirty bitmap`);
        entry.bitmap = undefined;
      } else if (entry.bitmap && parentDisk?.sizeBytes !== client.size) {
        plan.reasons.push(
          `disk ${disk.target} does not have the size of the previous restore point`,
        );
        entry.bitmap = undefined;
      }
      entry.steps = await planNbdSteps(client, entry.bitmap, signal);
      ctx.progress.addTotal(stepBytes(entry.steps, 'read'));
    }
    return opened;
  } catch (err) {
    await Promise.allSettled(opened.map((e) => e.client.close()));
    throw err;
  }
}

/** Reads the planned ranges of every export into the point, `dataReaders` disks at a time. */
export async function readExports(
  ctx: VmBackupContext,
  exports: OpenExport[],
  writer: PointWriter,
): Promise<DiskOutcome[]> {
  const { signal, settings } = ctx.request;
  const rateLimit = readRateLimitFor(ctx.log, settings.readLimitMiBps);
  try {
    return await mapLimit(exports, settings.dataReaders, async (e) => {
      const diskWriter = writer.addDisk({ name: e.disk.target, sizeBytes: e.client.size });
      const what = e.bitmap ? 'changed' : 'allocated';
      ctx.log(
        `Reading ${formatBytes(stepBytes(e.steps, 'read'))} ${what} of disk ${e.disk.target}`,
      );
      const pieceBytes = Math.min(PIECE_BYTES, e.client.maxRequestBytes);
      // Reads land where the writer will chunk them (placeFor), so no byte is copied on the
      // main thread. A piece it cannot place uses a buffer of its own, which goes round.
      const free: Uint8Array[] = [];
      const { readBytes } = await copyDisk({
        writer: diskWriter,
        steps: e.steps,
        read: (offset, length, s) => {
          const into =
            diskWriter.placeFor(offset, length) ?? free.pop() ?? new Uint8Array(pieceBytes);
          return e.client.read(offset, length, { signal: s, into });
        },
        release: (data) => {
          if (data.buffer instanceof ArrayBuffer && data.buffer.byteLength === pieceBytes)
            free.push(new Uint8Array(data.buffer, 0, pieceBytes));
        },
        pieceBytes,
        concurrency: READS_IN_FLIGHT,
        rateLimit,
        ...(e.bitmap && ctx.parent ? { parentPointId: ctx.parent.id } : {}),
        signal,
        onRead: (n) => ctx.progress.read(n, e.disk.target),
      });
      return { target: e.disk.target, logicalBytes: e.client.size, readBytes, writer: diskWriter };
    });
  } finally {
    await Promise.allSettled(exports.map((e) => e.client.close()));
  }
}

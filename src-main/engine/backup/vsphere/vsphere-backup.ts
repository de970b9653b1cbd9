/**
 * Disk-level backup of a vSphere VM (vCenter or standalone ESX): pre command → snapshot (quiesced
 * through VMware Tools when the VM runs) → each disk's VMDK as the snapshot froze it, read in place
 * on the datastore through the VMDK reader → the repository's chunk/commit path shared with libvirt
 * backups → snapshot removed → post command. Every point is a synthetic full; incrementals store
 * only what changed (changed-areas.ts).
 */
import { HyperkeepError } from '../../../../shared/errors';
import type { MoRef } from '../../connectors/vsphere/vim-client';
import type { VsphereConnector } from '../../connectors/vsphere/vsphere-connector';
import type { VsphereVm } from '../../connectors/vsphere/vm-mapping';
import type { DiskImage } from '../../formats/disk-image';
import type { PointManifest } from '../../repository/manifest';
import type { PointWriter } from '../../repository/point-writer';
import { copyDisk, stepBytes } from '../disk-copy';
import { readRateLimitFor } from '../read-rate-limit';
import { selectDisks } from '../disk-selection';
import { runHookCommand } from '../hook-command';
import { humanSizeWithBytes } from '../human-size';
import { ProgressTracker } from '../progress';
import type { BackupVmRequest, BackupVmResult, Consistency } from '../types';
import { mapLimit } from '../../io/map-limit';
import { backedUp, parentPoint } from '../vm-context';
import { planDiskSteps } from './changed-areas';
import { openDatastoreDisk } from './datastore-disk';
import { vspherePointMeta } from './vsphere-point-meta';

const PIECE_BYTES = 4 * 1024 * 1024;
const READS_IN_FLIGHT = 4;

export type VsphereBackupRequest = BackupVmRequest<VsphereConnector>;

export async function backupVsphereVm(request: VsphereBackupRequest): Promise<BackupVmResult> {
  const started = Date.now();
  const { connector, signal, settings } = request;
  const warnings: string[] = [];
  const warn = (line: string): void => {
    warnings.push(line);
    request.log(`WARNING: ${line}`);
  };
  if (signal.aborted)
    throw new HyperkeepError('CANCELLED', 'The backup was cancelled before it started');
  await connector.connect(signal);
  const vm = await connector.getVsphereVm(request.vmUuid, signal);
  const parent = await parentPoint(request, warn);
  const hookEnv = { HK_VM_NAME: vm.vm.name, HK_VM_UUID: vm.vm.uuid, HK_HOST: vm.vm.host };
  const progress = new ProgressTracker(request.onProgress);
  let result: Omit<BackupVmResult, 'warnings' | 'durationMs'> | undefined;
  let failure: unknown;
  try {
    if (settings.preCommand.trim() !== '') {
      progress.phase('pre-script');
      await runHookCommand({
        what: 'pre-backup',
        command: settings.preCommand,
        env: { ...hookEnv, HK_PHASE: 'pre' },
        timeoutSeconds: settings.timeoutSeconds,
        signal,
        log: request.log,
      });
    }
    result = await snapshotAndCopy(request, vm, parent, progress, warn);
  } catch (err) {
    failure = err;
  }
  if (
    settings.postCommand.trim() !== '' &&
    (failure === undefined || settings.postOnFailure !== false)
  ) {
    progress.phase('post-script');
    try {
      await runHookCommand({
        what: 'post-backup',
        command: settings.postCommand,
        env: {
          ...hookEnv,
          HK_PHASE: 'post',
          HK_STATUS: failure === undefined ? 'succeeded' : signal.aborted ? 'cancelled' : 'failed',
          HK_POINT_ID: result?.pointId ?? '',
        },
        timeoutSeconds: settings.timeoutSeconds,
        signal: new AbortController().signal,
        log: request.log,
      });
    } catch (err) {
      warn(err instanceof Error ? err.message : String(err));
    }
  }
  if (failure !== undefined || result === undefined) {
    if (signal.aborted && !(failure instanceof HyperkeepError && failure.code === 'CANCELLED')) {
      throw new HyperkeepError(
        'CANCELLED',
        `The backup of ${vm.vm.name} was cancelled`,
        undefined,
        { cause: failure },
      );
    }
    throw (
      failure ??
      new HyperkeepError('INTERNAL', `The backup of ${vm.vm.name} ended without a result`)
    );
  }
  const read = result.disks.reduce((n, d) => n + d.readBytes, 0);
  const stored = result.disks.reduce((n, d) => n + d.newBytes, 0);
  request.log(
    `Restore point ${result.pointId} committed: ${result.type}, ${result.consistency}, ` +
      `${humanSizeWithBytes(read)} read, ${humanSizeWithBytes(stored)} new to the repository`,
  );
  return { ...result, warnings, durationMs: Date.now() - started };
}

/** Takes the snapshot, reads the disks it froze into a new point, and removes it again. */
async function snapshotAndCopy(
  request: VsphereBackupRequest,
  vm: VsphereVm,
  parent: PointManifest | undefined,
  progress: ProgressTracker,
  warn: (line: string) => void,
): Promise<Omit<BackupVmResult, 'warnings' | 'durationMs'>> {
  const { connector, signal } = request;
  const { included, skipped } = selectDisks(vm.vm.disks, request.settings.excludeDisks);
  for (const s of skipped) request.log(`Not backing up ${s.target}: ${s.reason}`);
  if (included.length === 0) {
    throw new HyperkeepError('INVALID_INPUT', `VM ${vm.vm.name} has no disk to back up`, {
      skipped,
    });
  }
  const running = vm.vm.powerState === 'running';
  request.log(
    `Backing up ${vm.vm.name} (${running ? 'running' : 'powered off'}) on ${vm.vm.host}: disks ${included.map((d) => d.target).join(', ')}` +
      (parent ? `, incremental to point ${parent.id}` : ', full'),
  );
  progress.phase(running ? 'quiesce' : 'checkpoint');
  const { snapshot, consistency } = await takeSnapshot(request, vm, running, warn);
  const images: { target: string; image: DiskImage; fileName: string }[] = [];
  let writer: PointWriter | undefined;
  let committed = false;
  try {
    const frozen = await connector.snapshotDisks(snapshot, signal);
    for (const disk of included) {
      const file = frozen.find((d) => d.target === disk.target)?.fileName ?? disk.path;
      request.log(`Reading disk ${disk.target} from ${file}`);
      images.push({
        target: disk.target,
        fileName: file,
        image: await openDatastoreDisk(connector, vm.datacenterPath, file, signal),
      });
    }
    const plans = [];
    for (const { target, image } of images) {
      const plan = await planDiskSteps({ image, parent, target });
      progress.addTotal(stepBytes(plan.steps, 'read'));
      plans.push({ target, image, plan });
    }
    writer = await request.repository.startPoint({
      vm: {
        uuid: vm.vm.uuid,
        name: vm.vm.name,
        host: vm.vm.host,
        powerState: running ? 'running' : 'shutoff',
      },
      ...(parent ? { parent: parent.id } : {}),
    });
    const pointWriter = writer;
    progress.phase('read');
    const rateLimit = readRateLimitFor(request.log, request.settings.readLimitMiBps);
    const outcomes = await mapLimit(
      plans,
      request.settings.dataReaders,
      async ({ target, image, plan }) => {
        const diskWriter = pointWriter.addDisk({ name: target, sizeBytes: image.size });
        const { readBytes } = await copyDisk({
          writer: diskWriter,
          steps: plan.steps,
          read: (offset, length) => image.read(offset, length),
          pieceBytes: PIECE_BYTES,
          concurrency: READS_IN_FLIGHT,
          rateLimit,
          ...(parent ? { parentPointId: parent.id } : {}),
          signal,
          onRead: (n) => progress.read(n, target),
        });
        return { target, logicalBytes: image.size, readBytes, writer: diskWriter };
      },
    );
    const changeTracking = parent ? plans[0]!.plan.changeTracking : 'none';
    progress.phase('commit');
    const manifest = await writer.commit({
      consistency,
      meta: vspherePointMeta(connector, vm, {
        powerState: running ? 'running' : 'shutoff',
        changeTracking,
        disks: images.map((i) => ({
          target: i.target,
          fileName: i.fileName,
          capacityBytes: i.image.size,
        })),
      }),
    });
    committed = true;
    return {
      pointId: manifest.id,
      type: parent ? 'incremental' : 'full',
      changeTracking,
      consistency,
      disks: backedUp(outcomes),
    };
  } finally {
    progress.phase('cleanup');
    if (!committed) await writer?.abort().catch(() => undefined);
    await Promise.allSettled(images.map((i) => i.image.close()));
    if (committed || !request.settings.keepSnapshotsOnFailure) {
      await connector
        .removeSnapshot(snapshot)
        .catch((err: unknown) =>
          warn(
            `The backup snapshot ${snapshot.value} of ${vm.vm.name} could not be removed: ${err instanceof Error ? err.message : String(err)}; remove it in the vSphere client`,
          ),
        );
    } else {
      request.log(
        `Keeping the backup snapshot ${snapshot.value} of ${vm.vm.name} after the failure, as the settings ask`,
      );
    }
  }
}

/**
 * A quiesced snapshot of a running VM is application-consistent; when VMware Tools cannot quiesce,
 * a plain snapshot is crash-consistent. A powered-off VM's disks do not change, but vSphere does
 * not say whether its guest shut down cleanly.
 */
async function takeSnapshot(
  request: VsphereBackupRequest,
  vm: VsphereVm,
  running: boolean,
  warn: (line: string) => void,
): Promise<{ snapshot: MoRef; consistency: Consistency }> {
  const name = `hyperkeep-${new Date().toISOString()}`;
  const description = 'Taken by Hyperkeep for a backup; removed when the backup ends.';
  const { connector, signal } = request;
  if (running) {
    try {
      const snapshot = await connector.createSnapshot(
        vm.moref,
        { name, description, quiesce: true },
        signal,
      );
      return { snapshot, consistency: 'application-consistent' };
    } catch (err) {
      if (signal.aborted) throw err;
      warn(
        `VMware Tools could not quiesce ${vm.vm.name} (${err instanceof Error ? err.message : String(err)}): taking a crash-consistent snapshot`,
      );
    }
  }
  const snapshot = await connector.createSnapshot(
    vm.moref,
    { name, description, quiesce: false },
    signal,
  );
  if (!running)
    request.log('The VM is powered off: its disks are read as they were left (crash-consistent)');
  return { snapshot, consistency: 'crash-consistent' };
}

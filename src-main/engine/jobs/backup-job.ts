import { setTimeout as sleep } from 'node:timers/promises';
import type { SubclientSettings } from '../../../shared/domain/backup-set';
import { SubclientSettings as SettingsSchema } from '../../../shared/domain/backup-set';
import { BackupJobResult, type Job } from '../../../shared/domain/jobs';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { HyperkeepError, toErrorData } from '../../../shared/errors';
import { backupVm, type BackupVmRequest, type BackupVmResult } from '../backup/backup-vm';
import { backupVsphereVm } from '../backup/vsphere/vsphere-backup';
import type { HypervisorConnector } from '../connectors/connector';
import type { RandomAccessReader } from '../io/random-access';
import type { PointManifest } from '../repository/manifest';
import { LibvirtConnector } from '../connectors/libvirt/libvirt-connector';
import { VsphereConnector } from '../connectors/vsphere/vsphere-connector';
import type { Engine } from '../engine';
import { catalogBackupPoint } from '../file-catalog/catalog-phase';
import { guardBackupWindow } from './backup-window-guard';
import { HostSlots, runHostLimited } from './host-slots';
import type { JobContext, TaskHandle } from './job-controller';
import { applyRetentionAfterBackup, type CommittedPoint } from './retention-after-backup';

export interface BackupTarget {
  vm: VirtualMachine;
  settings: SubclientSettings;
  /** Logged when the VM starts: why these settings (e.g. no subclient holds it). */
  settingsNote?: string;
}

type DiskReaders = ReadonlyMap<string, RandomAccessReader>;
interface QueuedTarget {
  target: BackupTarget;
  task: TaskHandle;
}

/** Backups running per hypervisor host, over all jobs of each engine (see host-slots.ts). */
const hostSlotsOf = new WeakMap<Engine, HostSlots>();

/** The phase of a VM's row until its host has a free backup slot. */
export const WAITING_FOR_SLOT = 'waiting for a free slot';

/** What one VM's backup added to the job's summary. */
interface VmBackupOutcome {
  pointId: string;
  readBytes: number;
  newBytes: number;
  storedBytes: number;
}

/** One attempt at a VM's backup: what it added, or why it failed (its row is left running). */
type VmAttempt = { outcome: VmBackupOutcome } | { error: unknown };

/** One VM into the repository: a task row with live progress, a restore point in the catalog. */
async function backupOne(
  engine: Engine,
  ctx: JobContext,
  target: BackupTarget,
  task: TaskHandle,
  forceFull: boolean,
): Promise<VmAttempt> {
  const { vm, settings } = target;
  task.start();
  // In the log, not a warning: the backup is whole, and a VM backed up by hand before Discover
  // should not stay flagged in the inventory for it.
  if (target.settingsNote) ctx.log(`${vm.name}: ${target.settingsNote}`);
  try {
    const connector = await engine.inventory.connector(vm.hypervisorId);
    const repositoryName = settings.storage.repository;
    const repository = await engine.repositories.get(repositoryName);
    const parent = engine.repositories
      .points(vm.uuid)
      .find((p) => p.repository.toLowerCase() === repositoryName.toLowerCase());
    // A running VM's point is cataloged while libvirt still exports its disks (whileExported);
    // otherwise (powered off, vSphere, the exports unreachable) from the repository afterwards.
    let cataloged: PointManifest | undefined;
    const recordAndCatalog = async (manifest: PointManifest, diskReaders?: DiskReaders) => {
      engine.repositories.recordPoint(repositoryName, manifest);
      engine.events.emit('points.changed', { vmUuid: vm.uuid });
      const point = {
        repository,
        repositoryName,
        manifest,
        ...(diskReaders ? { diskReaders } : {}),
      };
      const osBefore = guestOsLabel(engine, vm.uuid);
      await catalogBackupPoint(engine, ctx, task, point);
      cataloged = manifest;
      // The inventory shows the OS the catalog detected: a new or changed one must reach it.
      if (guestOsLabel(engine, vm.uuid) !== osBefore)
        engine.events.emit('inventory.changed', { hypervisorId: vm.hypervisorId });
    };
    const result = await backupFor(connector)({
      vmUuid: vm.uuid,
      repository,
      ...(parent ? { parentPointId: parent.id } : {}),
      forceFull,
      settings: {
        keepSnapshotsOnFailure: settings.keepSnapshotsOnFailure,
        dataReaders: settings.dataReaders,
        readLimitMiBps: settings.readLimitMiBps,
        excludeDisks: settings.filters.excludeDisks,
        preCommand: settings.prePost.preCommand,
        postCommand: settings.prePost.postCommand,
        timeoutSeconds: settings.prePost.timeoutSeconds,
        postOnFailure: settings.prePost.postOnFailure,
      },
      signal: ctx.signal,
      onProgress: (p) =>
        task.progress({
          phase: p.disk ? `${p.phase} ${p.disk}` : p.phase,
          bytesDone: p.bytesDone,
          bytesTotal: p.bytesTotal,
        }),
      log: (line) => ctx.log(`${vm.name}: ${line}`),
      whileExported: (manifest, diskReaders) => recordAndCatalog(manifest, diskReaders),
    });
    if (!cataloged) await recordAndCatalog(await repository.getPoint(result.pointId));
    const stats = cataloged?.stats;
    if (result.fallbackReason) ctx.warn(`${vm.name}: ${result.fallbackReason}`);
    for (const warning of result.warnings) ctx.warn(`${vm.name}: ${warning}`);
    task.finish('succeeded', `${result.type} point ${result.pointId} (${result.consistency})`);
    const outcome = {
      pointId: result.pointId,
      readBytes: result.disks.reduce((n, d) => n + d.readBytes, 0),
      newBytes: stats?.newRawBytes ?? result.disks.reduce((n, d) => n + d.newBytes, 0),
      storedBytes: stats?.newStoredBytes ?? 0,
    };
    return { outcome };
  } catch (err) {
    return { error: err };
  }
}

/** How a job retries the VMs that failed (a scheduled job: its subclient's Automatic retry). */
export interface BackupRetry {
  attempts: number;
  waitSeconds: number;
}

/**
 * Starts a backup job over the given VMs: data readers bound how many run at once, and each
 * host runs at most its subclient's maxBackupsPerHost of them (shared with other jobs).
 */
export function startBackupJob(
  engine: Engine,
  title: string,
  targets: BackupTarget[],
  forceFull: boolean,
  extra: { retry?: BackupRetry | undefined; warnings?: string[] } = {},
): Job {
  const retry = extra.retry ?? { attempts: 0, waitSeconds: 0 };
  return engine.jobs.start('backup', title, async (ctx) => {
    for (const warning of extra.warnings ?? []) ctx.warn(warning);
    if (targets.length === 0)
      throw new HyperkeepError(
        'NOT_FOUND',
        'No VMs to back up: the subclient has no VMs (run Discover, or check its rules).',
      );
    const summary: BackupJobResult = { points: [], readBytes: 0, newBytes: 0, storedBytes: 0 };
    ctx.phase('backing up');
    const readers = Math.max(...targets.map((t) => t.settings.dataReaders));
    let slots = hostSlotsOf.get(engine);
    if (!slots) hostSlotsOf.set(engine, (slots = new HostSlots()));
    const options = {
      parallel: readers,
      hostOf: (t: QueuedTarget) => `${t.target.vm.hypervisorId}/${t.target.vm.host}`,
      limitOf: (t: QueuedTarget) => t.target.settings.maxBackupsPerHost,
      slots,
      signal: ctx.signal,
    };
    // Every VM has its row from the start, waiting and unsized: the job's total stays unknown
    // until the last VM has begun, instead of reading 100 % just before a waiting VM starts.
    const queued = targets.map((target) => ({
      target,
      task: ctx.task(target.vm.uuid, target.vm.name, { waiting: WAITING_FOR_SLOT }),
    }));
    const committed: CommittedPoint[] = [];
    const attempts = 1 + retry.attempts;
    /** Why each VM's earlier attempts failed, for the warning once one succeeds. */
    const earlier = new Map<QueuedTarget, string[]>();
    let pending: QueuedTarget[] = queued;
    let retryWaitMs = 0;
    // Bounded: at most `attempts` rounds, each over the VMs the round before left failed.
    for (let attempt = 1; pending.length > 0; attempt++) {
      const failed: { entry: QueuedTarget; error: unknown }[] = [];
      await runHostLimited(pending, options, async (entry) => {
        const { target } = entry;
        const result = await backupOne(engine, ctx, target, entry.task, forceFull);
        if ('error' in result) {
          failed.push({ entry, error: result.error });
          return;
        }
        if (attempt > 1) {
          const why = (earlier.get(entry) ?? []).map((m, i) => `attempt ${i + 1}: ${m}`);
          ctx.warn(
            `${target.vm.name}: backed up on attempt ${attempt} of ${attempts} (${why.join('; ')})`,
          );
        }
        const { outcome } = result;
        committed.push({ vmUuid: target.vm.uuid, repository: target.settings.storage.repository });
        summary.points.push(outcome.pointId);
        summary.readBytes += outcome.readBytes;
        summary.newBytes += outcome.newBytes;
        summary.storedBytes += outcome.storedBytes;
      });
      const waitBegan = Date.now();
      pending = await requeueForRetry(ctx, failed, earlier, attempt, retry);
      retryWaitMs += Date.now() - waitBegan;
    }
    // Time spent waiting to retry is not time spent copying: the rate leaves it out.
    if (retryWaitMs >= 1000) summary.retryWaitSeconds = Math.round(retryWaitMs / 1000);
    if (!ctx.signal.aborted) {
      const retentionJobs = applyRetentionAfterBackup(engine, ctx, title, committed);
      if (retentionJobs.length > 0) summary.retentionJobs = retentionJobs;
    }
    return BackupJobResult.parse(summary);
  });
}

/**
 * After a round of attempts: the failed VMs' rows end failed, unless another attempt is left
 * and the job was not cancelled; then they wait `retry.waitSeconds` (cancellable) and are
 * returned for the next round.
 */
async function requeueForRetry(
  ctx: JobContext,
  failed: { entry: QueuedTarget; error: unknown }[],
  earlier: Map<QueuedTarget, string[]>,
  attempt: number,
  retry: BackupRetry,
): Promise<QueuedTarget[]> {
  if (failed.length === 0) return [];
  if (ctx.signal.aborted || attempt > retry.attempts) {
    for (const { entry, error } of failed) entry.task.fail(error);
    return [];
  }
  // An instant, not the engine's clock: the console shows it in its own time zone.
  const at = new Date(Date.now() + retry.waitSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  for (const { entry, error } of failed) {
    const message = toErrorData(error).message;
    earlier.set(entry, [...(earlier.get(entry) ?? []), message]);
    entry.task.requeue(
      `retry ${attempt} of ${retry.attempts} at ${at}`,
      `Attempt ${attempt} failed: ${message}`,
    );
  }
  ctx.log(
    `${failed.length} VM(s) failed; retry ${attempt} of ${retry.attempts} in ${retry.waitSeconds} s (Automatic retry)`,
  );
  // Cancelled during the wait: the timer rejects at once, and the rows end cancelled below.
  await sleep(retry.waitSeconds * 1000, undefined, { signal: ctx.signal }).catch(() => undefined);
  if (ctx.signal.aborted) {
    for (const { entry } of failed) entry.task.fail(ctx.signal.reason);
    return [];
  }
  return failed.map(({ entry }) => entry);
}

/** `backup --subclient`: discovery first (FIG. 3: VMs come and go), then every member VM. */
export async function backupSubclient(
  engine: Engine,
  backupSetId: string,
  subclientId: string,
  forceFull: boolean,
  /** Started by the subclient's schedule: the title says so, and which schedule fired. */
  scheduled = false,
): Promise<Job> {
  const set = engine.backupSets.get(backupSetId);
  const subclient = set.subclients.find((s) => s.id === subclientId);
  if (!subclient) throw new HyperkeepError('NOT_FOUND', 'No such subclient in this backup set.');
  if (!subclient.settings.activity.backupEnabled) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Backups of subclient "${subclient.name}" are disabled (Activity control).`,
    );
  }
  const what = `${set.name} / ${subclient.name}`;
  const stopAtWindowEnd = scheduled
    ? guardBackupWindow(subclient.settings, `The scheduled backup of ${what}`)
    : null;
  const discovered = await engine.discovery.run(backupSetId);
  const members = new Set(
    discovered.assignments
      .filter((a) => a.subclientId === subclientId && a.status !== 'vanished')
      .map((a) => a.vmUuid),
  );
  const { vms } = await engine.inventory.listVms();
  const targets = vms
    .filter((vm) => members.has(vm.uuid))
    .map((vm) => ({ vm, settings: subclient.settings }));
  const title = scheduled
    ? `Scheduled ${forceFull ? 'full' : 'incremental'} backup of ${what}`
    : `Backup of ${what}`;
  // Retried on their own only when no one is watching: a backup started by hand reports its
  // failures at once, and its job offers "Retry failed VMs".
  const retry = scheduled ? subclient.settings.retry : undefined;
  const job = startBackupJob(engine, title, targets, forceFull, { retry });
  stopAtWindowEnd?.(engine, job.id);
  return job;
}

/** `backup --vm`: one VM, with the settings of the subclient it belongs to, if any. */
export async function backupSingleVm(
  engine: Engine,
  vmNameOrUuid: string,
  forceFull: boolean,
): Promise<Job> {
  const { vms } = await engine.inventory.listVms();
  const matches = vms.filter((v) => v.uuid === vmNameOrUuid || v.name === vmNameOrUuid);
  if (matches.length === 0)
    throw new HyperkeepError('NOT_FOUND', `No VM "${vmNameOrUuid}" on the registered hypervisors.`);
  if (matches.length > 1)
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Several VMs are named "${vmNameOrUuid}"; use the UUID.`,
    );
  const vm = matches[0]!;
  return startBackupJob(engine, `Backup of ${vm.name}`, [targetOfVm(engine, vm)], forceFull);
}

/**
 * A VM backed up on its own (by hand, or retried): with the settings of the subclient it
 * belongs to, or the defaults, said in the job's log. Refused when its subclient disables backups.
 */
export function targetOfVm(engine: Engine, vm: VirtualMachine): BackupTarget {
  const owner = engine.backupSets.subclientOfVm(vm.uuid);
  if (owner && !owner.settings.activity.backupEnabled)
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Backups are disabled for ${vm.name}: its subclient ${owner.subclient} of backup set ${owner.backupSet} has 'Enable backup' off (Activity control). Turn it on there to back it up.`,
      { reason: 'BACKUPS_DISABLED', backupSet: owner.backupSet, subclient: owner.subclient },
    );
  if (owner) return { vm, settings: owner.settings };
  // Backed up all the same (an administrator asked for it), but never silently with defaults.
  const settingsNote =
    'no subclient holds this VM (run Discover on its backup set to assign it), so it was backed up with the default settings: repository "default", no pre- or post-commands, and no retention after the backup.';
  return { vm, settings: SettingsSchema.parse({}), settingsNote };
}

/** The backup path of the VM's hypervisor kind. */
function backupFor(
  connector: HypervisorConnector,
): (request: Omit<BackupVmRequest, 'connector'>) => Promise<BackupVmResult> {
  if (connector instanceof LibvirtConnector) return (r) => backupVm({ ...r, connector });
  if (connector instanceof VsphereConnector) return (r) => backupVsphereVm({ ...r, connector });
  throw new HyperkeepError('INVALID_INPUT', `Backups of ${connector.type} VMs are not supported.`);
}

/** The guest OS the catalog detected for a VM, as the inventory shows it. */
function guestOsLabel(engine: Engine, vmUuid: string): string | undefined {
  const os = engine.fileCatalog.latestGuestOsByVm().get(vmUuid);
  return os ? JSON.stringify(os) : undefined;
}

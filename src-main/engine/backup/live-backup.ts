/**
 * Backup of a running VM with libvirt's backup API in pull mode: quiesce, start the backup job
 * together with a new checkpoint, thaw, read every disk over NBD (changed blocks only when the
 * parent's checkpoint is usable), commit, then end the job and keep only the newest checkpoint.
 */
import { basename, dirname, join } from 'node:path';
import { HyperkeepError } from '../../../shared/errors';
import {
  DOMAIN_ABORT_JOB,
  DOMAIN_BACKUP_BEGIN,
  DOMAIN_BACKUP_GET_XML_DESC,
} from '../connectors/libvirt/backup-procedures';
import { invoke } from '../connectors/libvirt/procedures';
import type { RandomAccessReader } from '../io/random-access';
import type { PointManifest } from '../repository/manifest';
import type { PointWriter } from '../repository/point-writer';
import {
  buildBackupXml,
  buildCheckpointXml,
  parseRunningBackup,
  type NbdServerSpec,
  type RunningBackup,
} from './backup-xml';
import {
  CHECKPOINT_PREFIX,
  deleteCheckpoint,
  deleteCheckpointsExcept,
  describeCheckpoint,
  newCheckpointName,
  planIncremental,
  type IncrementalPlan,
} from './checkpoints';
import { createJobDir, type JobDir } from './job-dir';
import { openExportReaders, openExports, readExports } from './nbd-exports';
import { freezeGuest, thawGuest } from './quiesce';
import { endStaleBackupJob } from './stale-backup-job';
import { explainLostVm } from './vm-lost';
import {
  backedUp,
  fallbackText,
  pointMeta,
  type PathResult,
  type PlannedDisk,
  type VmBackupContext,
} from './vm-context';

/** Where remote hosts serve NBD: libvirt 9 needs a port, and picks none itself. */
const NBD_PORT_BASE = 10809;
const NBD_PORT_SPAN = 1000;
const PORT_ATTEMPTS = 5;

/**
 * Scratch files hold the old content of blocks the guest overwrites while we read. Local hosts:
 * in the job's directory. Remote hosts: next to the disk image, a directory the hypervisor's
 * QEMU can already write (libvirt 9 in session mode needs a path; it deletes the file itself).
 */
function scratchPath(dir: JobDir | undefined, disk: PlannedDisk, tag: string): string {
  if (dir) return join(dir.path, `${disk.target}.scratch`);
  return join(dirname(disk.source), `.${basename(disk.source)}.hyperkeep-scratch-${tag}`);
}

function randomNbdPort(): number {
  return NBD_PORT_BASE + Math.floor(Math.random() * NBD_PORT_SPAN);
}

export async function backupRunningVm(ctx: VmBackupContext): Promise<PathResult> {
  const { request, dom } = ctx;
  const rpc = request.connector.rpc;
  const target = request.connector.target;
  const incremental = ctx.parent !== undefined;
  let plan: IncrementalPlan = { from: new Map(), reasons: [] };
  if (ctx.parent) plan = await planIncremental(rpc, dom, request.vmUuid, ctx.parent, ctx.disks);

  const checkpointName = newCheckpointName();
  const jobTag = checkpointName.slice(CHECKPOINT_PREFIX.length);
  // Only qcow2 images can carry persistent dirty bitmaps.
  const tracked = ctx.disks.filter((d) => d.format === 'qcow2').map((d) => d.target);
  const notQcow2 = ctx.disks.filter((d) => d.format !== 'qcow2').map((d) => d.target);
  const checkpointXml =
    tracked.length > 0
      ? buildCheckpointXml(checkpointName, tracked, [...notQcow2, ...ctx.otherDisks])
      : null;
  if (notQcow2.length > 0) {
    ctx.log(
      `Disks ${notQcow2.join(', ')} are not qcow2: their changes cannot be tracked, later backups compare their blocks`,
    );
  }

  let dir: JobDir | undefined;
  let writer: PointWriter | undefined;
  let jobMayRun = false;
  let committed = false;
  try {
    dir = target.transport === 'unix' ? await createJobDir(target.socketPaths) : undefined;
    const server = (): NbdServerSpec =>
      dir
        ? { transport: 'unix', socket: join(dir.path, 'nbd.sock') }
        : { transport: 'tcp', host: target.host ?? 'localhost', port: randomNbdPort() };
    const begin = async (p: IncrementalPlan): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        const backupXml = buildBackupXml(
          server(),
          ctx.disks.map((d) => ({
            target: d.target,
            ...(p.from.has(d.target) ? { incrementalFrom: p.from.get(d.target)! } : {}),
            scratchFile: scratchPath(dir, d, jobTag),
          })),
          ctx.otherDisks,
        );
        try {
          await invoke(rpc, DOMAIN_BACKUP_BEGIN, { dom, backupXml, checkpointXml });
          return;
        } catch (err) {
          // libvirt 9 wants an explicit TCP port: another job may hold the one we picked.
          const busy = err instanceof Error && /address already in use/i.test(err.message);
          if (!busy || dir || attempt >= PORT_ATTEMPTS) throw err;
        }
      }
    };

    writer = await request.repository.startPoint({
      vm: ctx.pointVm,
      ...(ctx.parent ? { parent: ctx.parent.id } : {}),
    });

    await endStaleBackupJob(ctx);
    ctx.progress.phase('quiesce');
    const freeze = await freezeGuest(rpc, dom, ctx.log);
    ctx.progress.phase('checkpoint');
    try {
      jobMayRun = true;
      try {
        await begin(plan);
      } catch (err) {
        // A bitmap QEMU lost or marked inconsistent only shows when the job starts.
        if (plan.from.size === 0 || !(err instanceof HyperkeepError)) throw err;
        if (err.code !== 'HYPERVISOR_ERROR') throw err;
        plan = {
          from: new Map(),
          reasons: [...plan.reasons, `libvirt refused it: ${err.message}`],
        };
        await begin(plan);
      }
    } finally {
      if (freeze.mustThaw) {
        const warning = await thawGuest(rpc, dom, ctx.log);
        if (warning) ctx.warn(warning);
      }
    }
    ctx.log(
      `Backup job started${checkpointXml ? ` with checkpoint ${checkpointName}` : ''}` +
        (plan.from.size > 0
          ? `, changes since ${[...new Set(plan.from.values())].join(', ')}`
          : ''),
    );
    const running = parseRunningBackup(await invoke(rpc, DOMAIN_BACKUP_GET_XML_DESC, { dom }));
    const checkpoint = checkpointXml
      ? await describeCheckpoint(rpc, dom, checkpointName, false)
      : null;

    const exports = await openExports(ctx, running, plan, target.host);
    ctx.progress.phase('read');
    const disks = await readExports(ctx, exports, writer);

    const bitmapsUsed = exports.some((e) => e.bitmap !== undefined);
    const changeTracking = !incremental ? 'none' : bitmapsUsed ? 'checkpoint' : 'block-comparison';
    const fallbackReason = incremental ? fallbackText(plan.reasons) : undefined;
    const consistency = freeze.frozen ? 'application-consistent' : 'crash-consistent';
    ctx.progress.phase('commit');
    const manifest = await writer.commit({
      consistency,
      meta: {
        ...pointMeta(ctx, {
          powerState: 'running',
          changeTracking,
          checkpoint: checkpoint && {
            name: checkpoint.name,
            creationTime: checkpoint.creationTime,
            disks: checkpoint.bitmapDisks.map((d) => d.target),
          },
          ...(fallbackReason ? { fallbackReason } : {}),
        }),
      },
    });
    committed = true;
    await whileExported(ctx, running, manifest, target.host);
    return {
      pointId: manifest.id,
      type: incremental ? 'incremental' : 'full',
      changeTracking,
      consistency,
      ...(fallbackReason ? { fallbackReason } : {}),
      disks: backedUp(disks),
    };
  } catch (err) {
    throw committed ? err : await explainLostVm(ctx, err);
  } finally {
    ctx.progress.phase('cleanup');
    if (!committed) await writer?.abort().catch(() => undefined);
    if (jobMayRun) await endBackupJob(ctx);
    if (jobMayRun && checkpointXml) await tidyCheckpoints(ctx, checkpointName, committed);
    await dir?.remove().catch(() => undefined);
  }
}

/**
 * The request's whileExported hook, before the job ends: the exports still show the disks as
 * backed up (guest writes since go to the scratch files). A failure to reconnect only loses
 * the shortcut: the hook is not called and the caller reads the point from the repository.
 */
async function whileExported(
  ctx: VmBackupContext,
  running: RunningBackup,
  manifest: PointManifest,
  remoteHost: string | undefined,
): Promise<void> {
  const hook = ctx.request.whileExported;
  if (!hook) return;
  let readers: Map<string, RandomAccessReader>;
  try {
    const targets = manifest.disks.map((d) => d.name);
    readers = await openExportReaders(running, targets, remoteHost, ctx.request.signal);
  } catch (err) {
    ctx.log(`Could not reconnect to the disk exports (${(err as Error).message})`);
    return;
  }
  try {
    await hook.call(ctx.request, manifest, readers);
  } catch (err) {
    // The point is committed: whatever went wrong after it must not fail the backup.
    ctx.warn(`After the commit: ${(err as Error).message}`);
  } finally {
    await Promise.allSettled([...readers.values()].map((r) => r.close()));
  }
}

/** Ends the pull-mode job (libvirt then stops the NBD server and deletes the scratch files). */
async function endBackupJob(ctx: VmBackupContext): Promise<void> {
  try {
    await invoke(ctx.request.connector.rpc, DOMAIN_ABORT_JOB, { dom: ctx.dom });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // After a failed start, or with the VM stopped, there is no job to end; anything else the
    // administrator should see.
    if (!/no job|not active|no active|not running/i.test(message)) {
      ctx.warn(
        `Could not end the backup job on the VM (${message}); end it with virsh domjobabort`,
      );
    }
  }
}

/**
 * After success only the new checkpoint stays (older ones are merged away, keeping the chain
 * short). After a failure the new checkpoint is deleted too (its bitmap merges into the parent's,
 * which stays valid for the next attempt) unless the settings keep it.
 */
async function tidyCheckpoints(
  ctx: VmBackupContext,
  checkpointName: string,
  committed: boolean,
): Promise<void> {
  const rpc = ctx.request.connector.rpc;
  try {
    if (committed) {
      const { deleted, failures } = await deleteCheckpointsExcept(rpc, ctx.dom, checkpointName);
      if (deleted.length > 0) ctx.log(`Deleted older checkpoints ${deleted.join(', ')}`);
      for (const f of failures) ctx.warn(`Could not delete ${f}`);
    } else if (ctx.request.settings.keepSnapshotsOnFailure) {
      ctx.log(
        `Kept checkpoint ${checkpointName} of the failed attempt (keep snapshots on failure)`,
      );
    } else if (await deleteCheckpoint(rpc, ctx.dom, checkpointName)) {
      ctx.log(`Deleted checkpoint ${checkpointName} of the failed attempt`);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // libvirt deletes checkpoints of running VMs only; the next backup's tidying removes it.
    if (!committed && /inactive domain/i.test(message))
      ctx.log(`Checkpoint ${checkpointName} of the failed attempt stays until the next backup`);
    else ctx.warn(`Could not tidy the VM's checkpoints (${message})`);
  }
}

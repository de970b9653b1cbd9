/**
 * FIG. 14A: a whole VM from a restore point onto a registered libvirt host. Its disks are uploaded
 * into a storage pool of the destination through libvirt's volume upload, its stored domain XML
 * is adapted (new name, UUID and MACs unless in place; disks pointing at the new volumes) and
 * defined, and it is powered on when asked. A failure takes back everything the job created.
 *
 * In place: the original must be powered off. Its disk files are overwritten at their own paths,
 * in their own formats (staged next to them and verified first, see in-place-disks.ts), and it is
 * redefined with its name, UUID and MACs; nothing is left beside its disks. A failure or a cancel
 * puts back the original's disks and definition.
 */
import { randomUUID } from 'node:crypto';
import type { Job } from '../../../../shared/domain/jobs';
import type { VmRestoreRequest } from '../../../../shared/domain/restore';
import { HyperkeepError } from '../../../../shared/errors';
import { formatBytes } from '../../../../shared/format';
import { parseDomainXml } from '../../connectors/libvirt/domain-xml';
import {
  DOMAIN_GET_XML_DESC,
  DOMAIN_LOOKUP_BY_NAME,
  DomainXmlFlags,
  invoke,
  uuidToString,
  type DomainRef,
} from '../../connectors/libvirt/procedures';
import {
  DOMAIN_CREATE,
  DOMAIN_DEFINE_XML_FLAGS,
  DOMAIN_DESTROY,
  DOMAIN_UNDEFINE_FLAGS,
  UndefineFlags,
} from '../../connectors/libvirt/restore-procedures';
import type { Engine } from '../../engine';
import type { JobContext, TaskHandle } from '../../jobs/job-controller';
import { adaptDomainXml, type RestoredDiskPlacement } from './domain-xml-adapter';
import { supportedDiskBuses } from './domain-capabilities';
import { forgetCheckpoints } from './checkpoint-metadata';
import {
  assertPoweredOff,
  disksLeftOut,
  InPlaceDisks,
  originalDisks,
  type OriginalDisk,
} from './in-place-disks';
import { resolvePool, uploadToNewVolume, volumeExists, type PoolHandle } from './pool-volumes';
import {
  destinationOf,
  findPoint,
  UndoLog,
  type Destination,
  type PointSource,
} from './restore-context';

export interface RestorePlan {
  source: PointSource;
  destination: Destination;
  pool: PoolHandle;
  name: string;
  uuid: string;
  domainXml: string;
  inPlace: boolean;
  /** In place: the original as it is defined now, to put back if the restore fails. */
  original?: { dom: DomainRef; xml: string };
  disks: PlannedDisk[];
  /** A recovery test's copy: booted without network cards (see AdaptDomainOptions). */
  isolateNetwork?: boolean;
}

interface PlannedDisk {
  name: string;
  sizeBytes: number;
  dataBytes: number;
  /** A new volume in the plan's pool, for a disk that does not overwrite one of the original. */
  volumeName: string;
  /** In place: the original's disk this one overwrites. */
  original?: OriginalDisk;
}

/** Checks everything that can be checked before a byte moves, then starts the job. */
export async function startVmRestoreJob(engine: Engine, request: VmRestoreRequest): Promise<Job> {
  const plan = await planRestore(engine, request);
  const where = `${plan.destination.hypervisorName} (pool ${plan.pool.summary.name})`;
  const title = plan.inPlace
    ? `Restore ${plan.name} in place on ${where} from ${plan.source.point.time}`
    : `Restore ${plan.source.point.vmName} (${plan.source.point.time}) as ${plan.name} to ${where}`;
  return engine.jobs.start('restore', title, async (ctx) => {
    const result: Record<string, unknown> = {
      ...(await runRestore(ctx, plan, request, new UndoLog(ctx))),
    };
    delete result['dom']; // libvirt's handle of this connection: no part of the job's record
    // A VM was defined (or redefined): the consoles list it without waiting for a Refresh.
    engine.events.emit('inventory.changed', { hypervisorId: plan.destination.hypervisorId });
    return result;
  });
}

export async function planRestore(engine: Engine, request: VmRestoreRequest): Promise<RestorePlan> {
  const source = await findPoint(engine, request.vm, request.pointId);
  const domainXml = source.manifest.meta['domainXml'];
  if (typeof domainXml !== 'string' || domainXml.length === 0) {
    if (source.manifest.meta['vsphere'] !== undefined)
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Restore point ${source.point.id} is a backup of a vSphere VM: restore it to a vSphere ` +
          'hypervisor, or restore its disks as image files or into a storage pool.',
        { field: 'hypervisorId' },
      );
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Restore point ${source.point.id} holds no VM configuration, only disks: restore them as ` +
        'image files or into a storage pool instead.',
    );
  }
  const destination = await destinationOf(engine, request.hypervisorId);
  const { connector } = destination;
  const originalName = source.manifest.vm.name;
  let name: string;
  let original: RestorePlan['original'];
  if (request.inPlace) {
    if (!request.confirmInPlace) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Restoring in place replaces VM ${originalName} on ${destination.hypervisorName}: ` +
          'confirm it (--yes in the CLI).',
        { field: 'confirmInPlace' },
      );
    }
    if (request.name !== undefined && request.name !== originalName) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `An in-place restore keeps the name ${originalName}; leave out the new name, or restore ` +
          'as a new VM instead of in place.',
        { field: 'name' },
      );
    }
    name = originalName;
    const dom = await lookupDomain(destination, name);
    if (dom) {
      if (uuidToString(dom.uuid) !== source.manifest.vm.uuid.toLowerCase()) {
        throw new HyperkeepError(
          'ALREADY_EXISTS',
          `The VM named ${name} on ${destination.hypervisorName} is another VM (UUID ` +
            `${uuidToString(dom.uuid)}), not the one backed up: restore under a new name instead.`,
          { field: 'name' },
        );
      }
      await assertPoweredOff(destination, dom, name);
      const xml = await invoke(connector.rpc, DOMAIN_GET_XML_DESC, {
        dom,
        flags: DomainXmlFlags.INACTIVE | DomainXmlFlags.SECURE,
      });
      original = { dom, xml };
    }
  } else {
    if (request.name === undefined) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        'Give the restored VM a name, or restore it in place (in the CLI: --in-place --yes).',
        { field: 'name' },
      );
    }
    name = request.name;
    if (await lookupDomain(destination, name)) {
      throw new HyperkeepError(
        'ALREADY_EXISTS',
        `A VM named ${name} already exists on ${destination.hypervisorName}: choose another ` +
          'name, or restore in place to replace it (in the CLI: --in-place --yes).',
        { field: 'name' },
      );
    }
  }
  const pool = await resolvePool(connector, request.pool);
  const ext = request.diskFormat === 'qcow2' ? 'qcow2' : 'img';
  const suffix = request.inPlace ? `-restored-${source.point.id}` : '';
  const originals = original
    ? originalDisks(
        original.xml,
        source.manifest.disks.map((d) => d.name),
        name,
      )
    : [];
  const disks: PlannedDisk[] = source.manifest.disks.map((d) => {
    const overwrites = originals.find((o) => o.target === d.name);
    return {
      name: d.name,
      sizeBytes: d.sizeBytes,
      dataBytes: d.dataBytes,
      volumeName: `${name}-${d.name}${suffix}.${ext}`,
      ...(overwrites ? { original: overwrites } : {}),
    };
  });
  for (const d of disks) {
    if (d.original) continue;
    if (await volumeExists(connector, pool.ref, d.volumeName)) {
      throw new HyperkeepError(
        'ALREADY_EXISTS',
        `Volume ${d.volumeName} already exists in pool ${pool.summary.name} on ` +
          `${destination.hypervisorName}: delete it or choose another VM name.`,
        { field: 'name' },
      );
    }
  }
  // Disks restored in place are checked against their own pools when the job starts.
  const needed = disks.reduce((s, d) => s + (d.original ? 0 : d.dataBytes), 0);
  if (needed > pool.summary.availableBytes) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Pool ${pool.summary.name} on ${destination.hypervisorName} has ${formatBytes(pool.summary.availableBytes)} ` +
        `free; the VM's disks hold ${formatBytes(needed)} of data. Free space or choose another pool.`,
      { field: 'pool' },
    );
  }
  const uuid = request.inPlace ? source.manifest.vm.uuid : randomUUID();
  const plan: RestorePlan = {
    source,
    destination,
    pool,
    name,
    uuid,
    domainXml,
    inPlace: request.inPlace,
    disks,
  };
  if (original) plan.original = original;
  return plan;
}

/** What runRestore made: the VM's libvirt reference and the job's result fields. */
export interface RestoredVm extends Record<string, unknown> {
  dom: DomainRef;
  vm: string;
}

async function lookupDomain(destination: Destination, name: string): Promise<DomainRef | null> {
  try {
    return await invoke(destination.connector.rpc, DOMAIN_LOOKUP_BY_NAME, { name });
  } catch (err) {
    if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') return null;
    throw err;
  }
}

/**
 * Restores as planned. A failure takes back everything through `undo`; after a success `undo`
 * still holds the steps that would (a recovery test runs them to remove its copy).
 */
export async function runRestore(
  ctx: JobContext,
  plan: RestorePlan,
  request: VmRestoreRequest,
  undo: UndoLog,
): Promise<RestoredVm> {
  const { connector } = plan.destination;
  const { point, repository } = plan.source;
  const overwritten = plan.disks.filter(
    (d): d is PlannedDisk & { original: OriginalDisk } => d.original !== undefined,
  );
  const inPlace =
    plan.original && overwritten.length > 0
      ? new InPlaceDisks(connector, ctx, undo, ctx.id.slice(0, 8))
      : null;
  try {
    if (inPlace) {
      ctx.phase('preparing');
      await inPlace.prepare(overwritten);
      ctx.log(
        `Overwriting ${overwritten.map((d) => d.original.path).join(', ')} in place, in their ` +
          'own formats, once every disk is staged and verified',
      );
    }
    ctx.phase('uploading disks');
    const placements: RestoredDiskPlacement[] = [];
    const inPlaceTasks = new Map<string, TaskHandle>();
    for (const disk of plan.disks) {
      const reader = await repository.openDisk(point.id, disk.name);
      try {
        if (inPlace && disk.original) {
          const task = ctx.task(disk.name, `${disk.name} → ${disk.original.path} (in place)`);
          // Uploaded, then read back: the bar covers both passes.
          task.progress({ phase: 'uploading', bytesTotal: 2 * disk.sizeBytes });
          await inPlace.stage(disk.name, reader, ctx.signal, (bytesDone, phase) =>
            task.progress({
              phase,
              bytesDone: phase === 'uploading' ? bytesDone : disk.sizeBytes + bytesDone,
            }),
          );
          task.progress({ phase: 'staged' });
          inPlaceTasks.set(disk.name, task);
          placements.push(inPlace.placement(disk.name));
          continue;
        }
        const task = ctx.task(
          disk.name,
          `${disk.name} → ${plan.pool.summary.name}/${disk.volumeName}`,
        );
        task.progress({ phase: 'uploading', bytesTotal: disk.sizeBytes });
        const uploaded = await uploadToNewVolume({
          connector,
          pool: plan.pool.ref,
          volumeName: disk.volumeName,
          format: request.diskFormat,
          reader,
          signal: ctx.signal,
          onProgress: (bytesDone, phase) => task.progress({ bytesDone, phase }),
          log: (line) => ctx.log(line),
          onCreated: (vol) => undo.addVolume(connector, vol),
          onDeleted: (vol) => undo.forgetVolume(vol),
        });
        placements.push({ target: disk.name, path: uploaded.path, format: uploaded.format });
        task.finish('succeeded', `${formatBytes(disk.sizeBytes)} into ${uploaded.path}`);
      } finally {
        await reader.close();
      }
    }

    const original = plan.original;
    if (inPlace && original) {
      ctx.phase('replacing disks');
      if (ctx.signal.aborted) throw ctx.signal.reason;
      // It could have been started since the job was planned: its disks must not change under it.
      await assertPoweredOff(plan.destination, original.dom, plan.name);
      for (const disk of overwritten) {
        await inPlace.swap(disk.name);
        inPlaceTasks
          .get(disk.name)
          ?.finish('succeeded', `${formatBytes(disk.sizeBytes)} over ${disk.original!.path}`);
      }
    }

    ctx.phase('defining');
    const buses = await supportedDiskBuses(connector, plan.domainXml).catch((err: unknown) => {
      ctx.warn(
        `Could not read the destination's disk buses (${String(err)}); buses kept as they were`,
      );
      return new Set<string>();
    });
    const adapted = adaptDomainXml(plan.domainXml, {
      name: plan.name,
      uuid: plan.uuid,
      keepMacs: plan.inPlace,
      disks: placements,
      supportedBuses: buses,
      isolateNetwork: plan.isolateNetwork ?? false,
    });
    for (const change of adapted.changes) ctx.log(change);
    const dom = await invoke(connector.rpc, DOMAIN_DEFINE_XML_FLAGS, {
      xml: adapted.xml,
      flags: 0,
    });
    if (original) {
      undo.add(`put back the previous definition of ${plan.name}`, async () => {
        await invoke(connector.rpc, DOMAIN_DEFINE_XML_FLAGS, { xml: original.xml, flags: 0 });
      });
      ctx.log(`Redefined ${plan.name} (UUID ${plan.uuid}) on its restored disks`);
      const left = disksLeftOut(
        original.xml,
        placements.map((p) => p.target),
      );
      if (left.length > 0)
        ctx.warn(
          `Not in the restore point, so no longer attached (files kept): ${left.join(', ')}`,
        );
      if (inPlace) await forgetCheckpoints(connector, dom, ctx);
    } else {
      undo.add(`undefine ${plan.name}`, () =>
        invoke(connector.rpc, DOMAIN_UNDEFINE_FLAGS, {
          dom,
          flags:
            UndefineFlags.MANAGED_SAVE |
            UndefineFlags.SNAPSHOTS_METADATA |
            UndefineFlags.CHECKPOINTS_METADATA |
            UndefineFlags.NVRAM,
        }),
      );
      ctx.log(`Defined ${plan.name} (UUID ${plan.uuid}) on ${plan.destination.hypervisorName}`);
    }
    const defined = parseDomainXml(
      await invoke(connector.rpc, DOMAIN_GET_XML_DESC, { dom, flags: DomainXmlFlags.INACTIVE }),
    );
    const macs = defined.nics.map((n) => n.mac).filter((m): m is string => Boolean(m));
    if (macs.length > 0) ctx.log(`MAC addresses: ${macs.join(', ')}`);

    let poweredOn = false;
    if (request.powerOn) {
      ctx.phase('powering on');
      await invoke(connector.rpc, DOMAIN_CREATE, { dom }, { timeoutMs: 120_000 });
      undo.add(`power off ${plan.name}`, () => invoke(connector.rpc, DOMAIN_DESTROY, { dom }));
      poweredOn = true;
      ctx.log(`Powered on ${plan.name}`);
    }
    // A cancel that came while the disks were swapped undoes the swap: the job ends "cancelled",
    // and a cancelled restore must have changed nothing.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    await inPlace?.clean();
    return {
      dom,
      vm: plan.name,
      uuid: plan.uuid,
      hypervisorId: plan.destination.hypervisorId,
      hypervisor: plan.destination.hypervisorName,
      pool: plan.pool.summary.name,
      inPlace: plan.inPlace,
      disks: placements,
      macs,
      poweredOn,
    };
  } catch (err) {
    await undo.rollback();
    throw err;
  } finally {
    await inPlace?.release();
  }
}

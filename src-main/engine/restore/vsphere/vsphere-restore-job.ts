import type { Job } from '../../../../shared/domain/jobs';
import type { VmRestoreRequest } from '../../../../shared/domain/restore';
import { HyperkeepError } from '../../../../shared/errors';
import { VsphereConnector } from '../../connectors/vsphere/vsphere-connector';
import type { Engine } from '../../engine';
import { findPoint } from '../vm/restore-context';
import { restoreVsphereVm } from './restore-vsphere-vm';

/**
 * FIG. 14A onto a vCenter or ESX host: a job around restoreVsphereVm, with one progress row per
 * disk. vSphere restores always create a new VM (the original's files stay untouched), and the
 * request's pool names the datastore.
 */
export async function startVsphereRestoreJob(
  engine: Engine,
  request: VmRestoreRequest,
  connector: VsphereConnector,
  hypervisorName: string,
): Promise<Job> {
  if (request.inPlace) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `In-place restores to vSphere are not supported: restore as a new VM on ${hypervisorName} ` +
        'under another name, then remove the original when the copy is verified.',
      { field: 'inPlace' },
    );
  }
  const source = await findPoint(engine, request.vm, request.pointId);
  const name = request.name ?? '';
  if (name === '') {
    throw new HyperkeepError('INVALID_INPUT', 'Give the restored VM a name', { field: 'name' });
  }
  const title = `Restore ${source.point.vmName} (${source.point.time}) as ${name} to ${hypervisorName}`;
  return engine.jobs.start('restore', title, async (ctx) => {
    const tasks = new Map(
      source.manifest.disks.map((d) => [d.name, ctx.task(d.name, `${name} ${d.name}`)]),
    );
    const result = await restoreVsphereVm({
      connector,
      repository: source.repository,
      pointId: source.point.id,
      name,
      ...(request.pool ? { datastore: request.pool } : {}),
      powerOn: request.powerOn,
      signal: ctx.signal,
      log: (line) => ctx.log(line),
      progress: (disk, bytesDone, bytesTotal) =>
        tasks.get(disk)?.progress({ phase: 'uploading', bytesDone, bytesTotal }),
    });
    for (const task of tasks.values()) task.finish('succeeded');
    // The new VM is listed by the consoles without waiting for a Refresh.
    engine.events.emit('inventory.changed', {});
    return { vm: name, uuid: result.uuid, hypervisor: hypervisorName, vmxPath: result.vmxPath };
  });
}

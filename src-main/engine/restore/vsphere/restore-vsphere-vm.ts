/**
 * Restores a vSphere restore point as a new VM: each disk is uploaded from the repository to the
 * datastore as a VMDK (descriptor + flat extent) through /folder, then CreateVM registers a VM
 * with the recorded CPU, memory, firmware, guest type and networks, with those disks attached,
 * optionally powered on. Works against vCenter (into the recorded cluster) or a standalone host.
 */
import { Readable } from 'node:stream';
import { HyperkeepError } from '../../../../shared/errors';
import type { VspherePointMeta } from '../../backup/vsphere/vsphere-point-meta';
import { formatDatastorePath } from '../../connectors/vsphere/datastore-files';
import { retrieveInventory, waitForTask } from '../../connectors/vsphere/property-collector';
import { childNamed, moRef } from '../../connectors/vsphere/soap-xml';
import { readMoRef, type MoRef } from '../../connectors/vsphere/vim-client';
import type { VsphereConnector } from '../../connectors/vsphere/vsphere-connector';
import type { RandomAccessReader } from '../../io/random-access';
import type { Repository } from '../../repository/repository';
import { flatDescriptor, MAX_DISKS, vmConfigSpec, type RestoredDiskFile } from './vsphere-vm-spec';

const PIECE_BYTES = 4 * 1024 * 1024;

export interface RestoreVsphereVmRequest {
  connector: VsphereConnector;
  repository: Repository;
  pointId: string;
  /** Name of the new VM; it must not exist yet. */
  name: string;
  /** Datastore for the VM's files; defaults to the one its first disk came from. */
  datastore?: string;
  powerOn: boolean;
  signal: AbortSignal;
  log(line: string): void;
  /** Bytes of one disk uploaded so far, for the job's progress bar (rate and ETA). */
  progress?(disk: string, bytesDone: number, bytesTotal: number): void;
}

export interface RestoreVsphereVmResult {
  vmMoref: string;
  uuid: string;
  vmxPath: string;
}

function pointMeta(meta: Record<string, unknown>, pointId: string): VspherePointMeta {
  const vsphere = meta['vsphere'] as VspherePointMeta['vsphere'] | undefined;
  if (typeof vsphere !== 'object' || vsphere === null || !Array.isArray(meta['disks'])) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Restore point ${pointId} is not a backup of a vSphere VM: restore it to a libvirt host instead`,
    );
  }
  return meta as unknown as VspherePointMeta;
}

/** Streams a restored disk in 4 MiB reads, reporting how far it got. */
function diskStream(
  reader: RandomAccessReader,
  signal: AbortSignal,
  progress: (bytesDone: number) => void,
): Readable {
  return Readable.from(
    (async function* () {
      for (let at = 0; at < reader.size; at += PIECE_BYTES) {
        if (signal.aborted) throw new HyperkeepError('CANCELLED', 'The restore was cancelled');
        const length = Math.min(PIECE_BYTES, reader.size - at);
        yield Buffer.from(await reader.read(at, length));
        progress(at + length);
      }
    })(),
  );
}

/** Where the VM goes: the recorded datacenter's VM folder and a resource pool of its cluster/host. */
async function placement(
  connector: VsphereConnector,
  meta: VspherePointMeta,
  signal: AbortSignal,
): Promise<{ datacenter: string; folder: MoRef; pool: MoRef; networks: Set<string> }> {
  const content = await connector.client.serviceContent(signal);
  const found = await retrieveInventory(
    connector.client,
    content.rootFolder,
    {
      Datacenter: ['name', 'vmFolder'],
      ComputeResource: ['name', 'resourcePool'],
      Network: ['name'],
    },
    signal,
  );
  const wanted = meta.vsphere.datacenter.split('/').pop();
  const datacenters = found.filter((o) => o.obj.type === 'Datacenter');
  const dc = datacenters.find((d) => d.props.get('name')?.text === wanted) ?? datacenters[0];
  const folder = readMoRef(dc?.props.get('vmFolder'));
  if (!dc || !folder) {
    throw new HyperkeepError(
      'NOT_FOUND',
      `The vSphere server ${connector.url.host} has no datacenter to restore into`,
    );
  }
  const computes = found.filter((o) => o.props.has('resourcePool'));
  const compute =
    computes.find((c) => c.props.get('name')?.text === meta.vsphere.cluster) ?? computes[0];
  const pool = readMoRef(compute?.props.get('resourcePool'));
  if (!pool) {
    throw new HyperkeepError(
      'NOT_FOUND',
      `The vSphere server ${connector.url.host} has no host or cluster to run the restored VM`,
    );
  }
  const networks = new Set(
    found.filter((o) => o.obj.type === 'Network').map((o) => o.props.get('name')?.text ?? ''),
  );
  return { datacenter: dc.props.get('name')?.text ?? '', folder, pool, networks };
}

export async function restoreVsphereVm(
  request: RestoreVsphereVmRequest,
): Promise<RestoreVsphereVmResult> {
  const { connector, repository, signal } = request;
  const manifest = await repository.getPoint(request.pointId);
  const meta = pointMeta(manifest.meta, request.pointId);
  if (manifest.disks.length > MAX_DISKS) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Restore point ${request.pointId} has ${manifest.disks.length} disks; one restored VM takes at most ${MAX_DISKS}`,
    );
  }
  if (!/^[^/\\[\]]{1,80}$/.test(request.name)) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `"${request.name}" cannot be a VM name: use 1–80 characters without / \\ [ ]`,
      { field: 'name' },
    );
  }
  await connector.connect(signal);
  const existing = await connector.listVms();
  if (existing.some((vm) => vm.name === request.name)) {
    throw new HyperkeepError(
      'ALREADY_EXISTS',
      `A VM named "${request.name}" already exists on ${connector.url.host}: choose another name`,
      { field: 'name' },
    );
  }
  const target = await placement(connector, meta, signal);
  const datastore =
    request.datastore ?? /^\[([^\]]+)\]/.exec(meta.disks[0]?.source ?? '')?.[1] ?? '';
  if (datastore === '')
    throw new HyperkeepError('INVALID_INPUT', 'Choose a datastore for the restored VM');
  const disks: RestoredDiskFile[] = [];
  for (const [i, disk] of manifest.disks.entries()) {
    const base = `${request.name}/${request.name}${i === 0 ? '' : `_${i}`}`;
    const flat = { datastore, path: `${base}-flat.vmdk` };
    const descriptor = { datastore, path: `${base}.vmdk` };
    const reader = await repository.openDisk(request.pointId, disk.name);
    try {
      request.log(
        `Uploading disk ${disk.name} (${reader.size} bytes) to ${formatDatastorePath(flat)}`,
      );
      await connector.files.put(
        target.datacenter,
        flat,
        diskStream(reader, signal, (done) => request.progress?.(disk.name, done, reader.size)),
        reader.size,
        signal,
      );
    } finally {
      await reader.close();
    }
    const text = Buffer.from(flatDescriptor(flat.path.split('/').pop()!, disk.sizeBytes), 'latin1');
    await connector.files.put(target.datacenter, descriptor, text, text.length, signal);
    disks.push({ fileName: formatDatastorePath(descriptor), capacityBytes: disk.sizeBytes });
  }
  const vmxPath = `[${datastore}] ${request.name}/${request.name}.vmx`;
  const reply = await connector.client.call(
    'CreateVM_Task',
    [
      moRef('_this', target.folder),
      vmConfigSpec({ name: request.name, vmxPath, meta, disks, networks: target.networks }),
      moRef('pool', target.pool),
    ],
    { signal },
  );
  const task = readMoRef(childNamed(reply, 'returnval'));
  if (!task) throw new HyperkeepError('HYPERVISOR_ERROR', 'CreateVM_Task returned no task');
  const vmRef = readMoRef(
    await waitForTask(connector.client, task, `create VM ${request.name}`, signal),
  );
  if (!vmRef)
    throw new HyperkeepError('HYPERVISOR_ERROR', `Creating VM ${request.name} returned no VM`);
  request.log(`Created VM ${request.name} (${vmRef.value}) with ${disks.length} disk(s)`);
  if (request.powerOn) {
    const power = await connector.client.call('PowerOnVM_Task', [moRef('_this', vmRef)], {
      signal,
    });
    const powerTask = readMoRef(childNamed(power, 'returnval'));
    if (powerTask)
      await waitForTask(connector.client, powerTask, `power on ${request.name}`, signal);
    request.log(`Powered on ${request.name}`);
  }
  const created = await connector.getVsphereVm(request.name, signal);
  return { vmMoref: vmRef.value, uuid: created.vm.uuid, vmxPath };
}

/**
 * The vSphere connector: vCenter as the VM manager or a standalone ESX host (FIG. 3), the same
 * HypervisorConnector either way. Beyond the shared interface it offers what backups and
 * restores of vSphere VMs need: snapshots, datastore file access and VM creation.
 */
import type { HostInfo } from '../../../../shared/domain/hypervisor';
import { HyperkeepError } from '../../../../shared/errors';
import type { ConnectionSettings, DiscoveredVm, HypervisorConnector } from '../connector';
import { DatastoreFiles } from './datastore-files';
import { PinnedHttps, type PresentedCertificate } from './pinned-https';
import { retrieveInventory, retrieveObject, waitForTask } from './property-collector';
import { childNamed, childrenNamed, el, moRef, textAt } from './soap-xml';
import { readMoRef, VimClient, type MoRef } from './vim-client';
import {
  disksOf,
  inventoryName,
  mapVm,
  VM_PROPERTIES,
  type InventoryIndex,
  type VsphereDisk,
  type VsphereVm,
} from './vm-mapping';

export const DEFAULT_SDK_PATH = '/sdk';

/** `https://vcenter.example/sdk`, `https://esx01:443/sdk`, or just `vcenter.example`. */
export function parseVsphereUri(uri: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(uri.trim()) ? uri.trim() : `https://${uri.trim()}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new HyperkeepError(
      'INVALID_URI',
      `"${uri}" is not a vSphere address: use https://vcenter.example/sdk or https://esx-host/sdk`,
      { field: 'uri' },
    );
  }
  if (url.protocol !== 'https:' || url.hostname === '') {
    throw new HyperkeepError(
      'INVALID_URI',
      `"${uri}" is not a vSphere address: vCenter and ESX are reached over https://host/sdk`,
      { field: 'uri' },
    );
  }
  if (url.pathname === '' || url.pathname === '/') url.pathname = DEFAULT_SDK_PATH;
  return url;
}

const STRUCTURE_TYPES: Record<string, readonly string[]> = {
  Folder: ['name', 'parent'],
  Datacenter: ['name', 'parent'],
  ComputeResource: ['name', 'parent'],
  HostSystem: ['name', 'parent'],
  Network: ['name'],
};

export interface SnapshotOptions {
  name: string;
  description: string;
  /** Ask VMware Tools to flush the guest's file systems (application-consistent). */
  quiesce: boolean;
}

export interface DatastoreSummary {
  name: string;
  url: string;
  capacityBytes: number;
  freeBytes: number;
}

export class VsphereConnector implements HypervisorConnector {
  readonly type = 'vsphere' as const;
  readonly url: URL;
  readonly client: VimClient;
  readonly files: DatastoreFiles;
  private readonly https: PinnedHttps;

  constructor(settings: ConnectionSettings) {
    this.url = parseVsphereUri(settings.uri);
    if (!settings.username || !settings.password) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        'A vSphere user name and password are required (for example administrator@vsphere.local)',
        { field: 'username' },
      );
    }
    this.https = new PinnedHttps(this.url, settings.certificateFingerprint);
    this.client = new VimClient(this.https, settings.username, settings.password);
    this.files = new DatastoreFiles(this.client);
  }

  /** "vcenter.example:443 (vSphere)" for messages and restore points. */
  get endpoint(): string {
    return `${this.url.host} (vSphere)`;
  }

  /** The certificate the server presented on the latest connection, for pinning after acceptance. */
  get certificate(): PresentedCertificate | undefined {
    return this.https.presented;
  }

  async connect(signal?: AbortSignal): Promise<void> {
    await this.client.login(signal);
  }

  /** vCenter (VirtualCenter) or a standalone ESX host (HostAgent). */
  async isVcenter(): Promise<boolean> {
    return (await this.client.serviceContent()).apiType === 'VirtualCenter';
  }

  async hostInfo(): Promise<HostInfo> {
    const content = await this.client.serviceContent();
    const hosts = await retrieveInventory(this.client, content.rootFolder, {
      HostSystem: [
        'name',
        'summary.hardware.cpuModel',
        'summary.hardware.numCpuThreads',
        'summary.hardware.memorySize',
      ],
    });
    const sum = (path: string): number =>
      hosts.reduce((n, h) => n + (Number(h.props.get(path)?.text ?? 0) || 0), 0);
    const vcenter = content.apiType === 'VirtualCenter';
    const models = [
      ...new Set(hosts.map((h) => h.props.get('summary.hardware.cpuModel')?.text ?? '')),
    ];
    return {
      // A vCenter is named by its address; an ESX host by its own name (host affinity rules use it).
      hostname: vcenter
        ? this.url.hostname
        : (hosts[0]?.props.get('name')?.text ?? this.url.hostname),
      hypervisorVersion: content.fullName,
      cpuModel: models.filter((m) => m !== '').join(', '),
      cpus: sum('summary.hardware.numCpuThreads'),
      memoryBytes: sum('summary.hardware.memorySize'),
    };
  }

  private async index(signal?: AbortSignal): Promise<InventoryIndex> {
    const client = this.client;
    const content = await client.serviceContent(signal);
    const objects = await retrieveInventory(client, content.rootFolder, STRUCTURE_TYPES, signal);
    const index: InventoryIndex = {
      names: new Map(),
      parents: new Map(),
      types: new Map(),
      customFields: new Map(),
    };
    for (const o of objects) {
      index.types.set(o.obj.value, o.obj.type);
      const name = o.props.get('name')?.text;
      if (name !== undefined) index.names.set(o.obj.value, inventoryName(name));
      const parent = o.props.get('parent')?.text;
      if (parent) index.parents.set(o.obj.value, parent);
    }
    if (content.customFieldsManager) {
      const fields = await retrieveObject(
        client,
        content.customFieldsManager,
        ['field'],
        signal,
      ).catch(() => undefined);
      for (const f of childrenNamed(fields?.get('field'), 'CustomFieldDef')) {
        index.customFields.set(textAt(f, 'key') ?? '', textAt(f, 'name') ?? '');
      }
    }
    return index;
  }

  /** Every VM with what backups need beyond the shared model. */
  async listVsphereVms(signal?: AbortSignal): Promise<VsphereVm[]> {
    const index = await this.index(signal);
    const content = await this.client.serviceContent(signal);
    const objects = await retrieveInventory(
      this.client,
      content.rootFolder,
      { VirtualMachine: VM_PROPERTIES },
      signal,
    );
    for (const o of objects) {
      index.types.set(o.obj.value, 'VirtualMachine');
      const parent = o.props.get('parent')?.text;
      if (parent) index.parents.set(o.obj.value, parent);
    }
    const vms: VsphereVm[] = [];
    for (const o of objects) {
      const vm = mapVm(o, index);
      if (vm) vms.push(vm);
    }
    return vms;
  }

  async listVms(): Promise<DiscoveredVm[]> {
    return (await this.listVsphereVms()).map((v) => v.vm);
  }

  async getVsphereVm(uuidOrName: string, signal?: AbortSignal): Promise<VsphereVm> {
    const vms = await this.listVsphereVms(signal);
    const wanted = uuidOrName.toLowerCase();
    const found =
      vms.find((v) => v.vm.uuid.toLowerCase() === wanted) ??
      vms.find((v) => v.vm.name === uuidOrName);
    if (!found) {
      throw new HyperkeepError(
        'NOT_FOUND',
        `No VM "${uuidOrName}" on the vSphere server ${this.url.host}: it was deleted or is not visible to this user`,
        { vm: uuidOrName },
      );
    }
    return found;
  }

  async getVm(uuidOrName: string): Promise<DiscoveredVm> {
    return (await this.getVsphereVm(uuidOrName)).vm;
  }

  async datastores(signal?: AbortSignal): Promise<DatastoreSummary[]> {
    const content = await this.client.serviceContent(signal);
    const found = await retrieveInventory(
      this.client,
      content.rootFolder,
      { Datastore: ['name', 'summary.url', 'summary.capacity', 'summary.freeSpace'] },
      signal,
    );
    return found.map((d) => ({
      name: d.props.get('name')?.text ?? d.obj.value,
      url: d.props.get('summary.url')?.text ?? '',
      capacityBytes: Number(d.props.get('summary.capacity')?.text ?? 0),
      freeBytes: Number(d.props.get('summary.freeSpace')?.text ?? 0),
    }));
  }

  async createSnapshot(
    vmMoref: string,
    options: SnapshotOptions,
    signal?: AbortSignal,
  ): Promise<MoRef> {
    const reply = await this.client.call(
      'CreateSnapshot_Task',
      [
        moRef('_this', { type: 'VirtualMachine', value: vmMoref }),
        el('name', options.name),
        el('description', options.description),
        el('memory', false),
        el('quiesce', options.quiesce),
      ],
      signal ? { signal } : {},
    );
    const task = readMoRef(childNamed(reply, 'returnval'));
    if (!task) throw new HyperkeepError('HYPERVISOR_ERROR', 'CreateSnapshot_Task returned no task');
    const result = readMoRef(
      await waitForTask(this.client, task, `snapshot VM ${vmMoref}`, signal),
    );
    if (!result)
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `The snapshot task of VM ${vmMoref} returned no snapshot`,
      );
    return result;
  }

  /** The disks as the snapshot froze them: the files a backup reads while the VM writes deltas. */
  async snapshotDisks(snapshot: MoRef, signal?: AbortSignal): Promise<VsphereDisk[]> {
    const props = await retrieveObject(this.client, snapshot, ['config.hardware.device'], signal);
    return disksOf(props.get('config.hardware.device'));
  }

  async removeSnapshot(snapshot: MoRef, signal?: AbortSignal): Promise<void> {
    const reply = await this.client.call(
      'RemoveSnapshot_Task',
      [moRef('_this', snapshot), el('removeChildren', false), el('consolidate', true)],
      signal ? { signal } : {},
    );
    const task = readMoRef(childNamed(reply, 'returnval'));
    if (task) await waitForTask(this.client, task, `remove snapshot ${snapshot.value}`, signal);
  }

  async close(): Promise<void> {
    await this.client.logout();
    this.https.close();
  }
}

export function createVsphereConnector(settings: ConnectionSettings): VsphereConnector {
  return new VsphereConnector(settings);
}

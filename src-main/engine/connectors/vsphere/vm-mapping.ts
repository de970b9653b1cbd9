/**
 * vSphere VirtualMachine properties → the shared VM model. Disks are named the way vSphere names
 * their slots (scsi0:0, ide0:1, sata0:2, nvme0:0) because vSphere guests have no vda/sda of
 * their own that the API knows of; networks are named as the vSphere client shows them.
 */
import type { NetworkInterface, PowerState, VirtualDisk } from '../../../../shared/domain/vm';
import type { DiscoveredVm } from '../connector';
import type { ObjectContent } from './property-collector';
import { childNamed, childrenNamed, numberAt, textAt, type XmlNode } from './soap-xml';

export const VM_PROPERTIES = [
  'name',
  'parent',
  'config.uuid',
  'config.instanceUuid',
  'config.template',
  'config.hardware.numCPU',
  'config.hardware.memoryMB',
  'config.hardware.device',
  'config.guestFullName',
  'config.guestId',
  'config.firmware',
  'config.annotation',
  'runtime.host',
  'runtime.powerState',
  'customValue',
] as const;

/** A vSphere disk as backups and restores need it, beyond the shared model. */
export interface VsphereDisk {
  target: string;
  /** Device key: the handle QueryChangedDiskAreas and reconfigure calls take. */
  key: number;
  /** `[datastore] folder/name.vmdk` */
  fileName: string;
  capacityBytes: number;
  controller: string;
}

export interface VsphereVm {
  vm: DiscoveredVm;
  moref: string;
  /** The datacenter's inventory path (`DC0`, `Folder/DC1`): /folder URLs take it as dcPath. */
  datacenterPath: string;
  cluster: string | undefined;
  guestId: string;
  firmware: string;
  disks: VsphereDisk[];
}

/** What the mapping needs to know about the rest of the inventory. */
export interface InventoryIndex {
  /** moref → name for hosts, networks, datacenters, clusters, folders. */
  names: Map<string, string>;
  /** moref → parent moref. */
  parents: Map<string, string>;
  /** moref → managed object type. */
  types: Map<string, string>;
  /** custom field key → field name */
  customFields: Map<string, string>;
}

const POWER: Record<string, PowerState> = {
  poweredOn: 'running',
  poweredOff: 'shutoff',
  suspended: 'suspended',
};
const MAX_PARENT_DEPTH = 64;

/** vSphere escapes %, / and \\ in inventory names (%25, %2f, %5c); other text passes unchanged. */
export function inventoryName(text: string): string {
  return text.replace(/%(25|2f|5c)/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function controllerBus(type: string | undefined): string {
  const t = (type ?? '').toLowerCase();
  if (t.includes('scsi') || t.includes('buslogic') || t.includes('lsilogic')) return 'scsi';
  if (t.includes('ide')) return 'ide';
  if (t.includes('ahci') || t.includes('sata')) return 'sata';
  if (t.includes('nvme')) return 'nvme';
  return 'other';
}

/** Walks parents up to the first ancestor of `type`. */
function ancestor(index: InventoryIndex, from: string, type: string): string | undefined {
  let at: string | undefined = index.parents.get(from);
  for (let i = 0; at !== undefined && i < MAX_PARENT_DEPTH; i++) {
    if (index.types.get(at) === type) return at;
    at = index.parents.get(at);
  }
  return undefined;
}

/** `Folder/DC` path of a datacenter below the root folder. */
function inventoryPath(index: InventoryIndex, moref: string): string {
  const parts: string[] = [];
  let at: string | undefined = moref;
  for (let i = 0; at !== undefined && i < MAX_PARENT_DEPTH; i++) {
    const parent = index.parents.get(at);
    if (parent === undefined) break; // the root folder is not part of the path
    parts.unshift(index.names.get(at) ?? at);
    at = parent;
  }
  return parts.join('/');
}

function mapDevices(devices: XmlNode[], index: InventoryIndex) {
  const byKey = new Map<string, XmlNode>();
  for (const d of devices) byKey.set(textAt(d, 'key') ?? '', d);
  const disks: VirtualDisk[] = [];
  const vsphereDisks: VsphereDisk[] = [];
  const nics: NetworkInterface[] = [];
  for (const d of devices) {
    const type = d.xsiType ?? '';
    const backing = childNamed(d, 'backing');
    const controller = byKey.get(textAt(d, 'controllerKey') ?? '');
    const bus = controllerBus(controller?.xsiType);
    const target = `${bus}${textAt(controller, 'busNumber') ?? '0'}:${textAt(d, 'unitNumber') ?? '0'}`;
    if (type === 'VirtualDisk') {
      const capacityBytes =
        numberAt(d, 'capacityInBytes') ?? (numberAt(d, 'capacityInKB') ?? 0) * 1024;
      const fileName = textAt(backing, 'fileName') ?? '';
      disks.push({
        target,
        bus,
        device: 'disk',
        format: 'vmdk',
        path: fileName,
        capacityBytes,
        readonly: textAt(backing, 'diskMode')?.startsWith('independent_nonpersistent') ?? false,
      });
      vsphereDisks.push({
        target,
        key: numberAt(d, 'key') ?? 0,
        fileName,
        capacityBytes,
        controller: bus,
      });
    } else if (type === 'VirtualCdrom' || type === 'VirtualFloppy') {
      disks.push({
        target,
        bus,
        device: type === 'VirtualCdrom' ? 'cdrom' : 'floppy',
        format: 'raw',
        path: textAt(backing, 'fileName') ?? textAt(backing, 'deviceName') ?? '',
        capacityBytes: 0,
        readonly: true,
      });
    } else if (childNamed(d, 'macAddress')) {
      const portgroup = textAt(backing, 'port.portgroupKey');
      const source =
        textAt(backing, 'deviceName') ??
        (portgroup !== undefined ? (index.names.get(portgroup) ?? portgroup) : undefined) ??
        textAt(backing, 'opaqueNetworkId');
      const nic: NetworkInterface = {
        mac: textAt(d, 'macAddress') ?? '',
        model: type.replace(/^Virtual/, '').toLowerCase(),
        type:
          portgroup !== undefined
            ? 'distributed'
            : backing?.xsiType?.includes('Opaque')
              ? 'opaque'
              : 'network',
      };
      if (source !== undefined) nic.source = source;
      nics.push(nic);
    }
  }
  return { disks, vsphereDisks, nics };
}

/** The disks of a `config.hardware.device` value (a VM's or a snapshot's). */
export function disksOf(deviceArray: XmlNode | undefined): VsphereDisk[] {
  const empty: InventoryIndex = {
    names: new Map(),
    parents: new Map(),
    types: new Map(),
    customFields: new Map(),
  };
  return mapDevices(childrenNamed(deviceArray, 'VirtualDevice'), empty).vsphereDisks;
}

export function mapVm(content: ObjectContent, index: InventoryIndex): VsphereVm | undefined {
  const p = (path: (typeof VM_PROPERTIES)[number]): XmlNode | undefined => content.props.get(path);
  // Templates cannot run or be snapshotted: they are not VMs to back up here.
  if (p('config.template')?.text === 'true') return undefined;
  const uuid = p('config.instanceUuid')?.text || p('config.uuid')?.text;
  if (!uuid) return undefined; // inaccessible VM (datastore gone): no configuration to show
  const name = inventoryName(p('name')?.text ?? content.obj.value);
  const hostRef = p('runtime.host')?.text;
  const devices = childrenNamed(p('config.hardware.device'), 'VirtualDevice');
  const { disks, vsphereDisks, nics } = mapDevices(devices, index);
  const datacenter = ancestor(index, content.obj.value, 'Datacenter');
  const clusterRef =
    hostRef !== undefined ? ancestor(index, hostRef, 'ClusterComputeResource') : undefined;
  const cluster = clusterRef !== undefined ? index.names.get(clusterRef) : undefined;
  const metadata: Record<string, string> = { 'vsphere.moref': content.obj.value };
  if (datacenter !== undefined)
    metadata['vsphere.datacenter'] = index.names.get(datacenter) ?? datacenter;
  if (cluster !== undefined) metadata['vsphere.cluster'] = cluster;
  const folder = index.parents.get(content.obj.value);
  if (folder !== undefined && index.names.has(folder))
    metadata['vsphere.folder'] = index.names.get(folder)!;
  for (const value of childrenNamed(p('customValue'), 'CustomFieldValue')) {
    const key = textAt(value, 'key') ?? '';
    metadata[index.customFields.get(key) ?? `customField.${key}`] = textAt(value, 'value') ?? '';
  }
  const vm: DiscoveredVm = {
    uuid,
    name,
    host: hostRef !== undefined ? (index.names.get(hostRef) ?? hostRef) : '',
    powerState: POWER[p('runtime.powerState')?.text ?? ''] ?? 'unknown',
    vcpus: Number(p('config.hardware.numCPU')?.text ?? 0) || 0,
    memoryBytes: (Number(p('config.hardware.memoryMB')?.text ?? 0) || 0) * 1024 * 1024,
    disks,
    nics,
    provisionedBytes: disks.reduce((n, d) => n + d.capacityBytes, 0),
    metadata,
  };
  const guest = p('config.guestFullName')?.text;
  if (guest) vm.guestOs = guest;
  const firmware = p('config.firmware')?.text;
  if (firmware) vm.firmware = firmware;
  const annotation = p('config.annotation')?.text;
  if (annotation) vm.description = annotation;
  return {
    vm,
    moref: content.obj.value,
    datacenterPath: datacenter !== undefined ? inventoryPath(index, datacenter) : '',
    cluster,
    guestId: p('config.guestId')?.text ?? 'otherGuest',
    firmware: firmware ?? 'bios',
    disks: vsphereDisks,
  };
}

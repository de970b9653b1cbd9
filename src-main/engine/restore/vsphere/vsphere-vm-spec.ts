/**
 * The VirtualMachineConfigSpec of a restored vSphere VM, built from what the backup recorded, in
 * the element order of the vSphere WSDL (vCenter rejects out-of-order elements), and the VMDK
 * descriptor of each uploaded disk.
 */
import type { VspherePointMeta } from '../../backup/vsphere/vsphere-point-meta';
import { el, type XmlElement } from '../../connectors/vsphere/soap-xml';

const SECTOR = 512;
/** SCSI unit 7 is the controller's own; a paravirtual controller takes units 0–15 otherwise. */
const CONTROLLER_UNIT = 7;
export const MAX_DISKS = 15;
const CONTROLLER_KEY = -100;

const NIC_TYPES: Record<string, string> = {
  e1000: 'VirtualE1000',
  e1000e: 'VirtualE1000e',
  vmxnet3: 'VirtualVmxnet3',
  vmxnet2: 'VirtualVmxnet2',
  pcnet32: 'VirtualPCNet32',
};

export interface RestoredDiskFile {
  /** `[datastore] folder/disk.vmdk` of the uploaded descriptor. */
  fileName: string;
  capacityBytes: number;
}

/**
 * A descriptor for a flat extent next to it: createType vmfs, as ESX writes it for thick disks.
 * Flat extents take no conversion on upload; the datastore keeps them sparse where it can.
 */
export function flatDescriptor(extentName: string, sizeBytes: number): string {
  const sectors = Math.ceil(sizeBytes / SECTOR);
  const cylinders = Math.max(1, Math.min(65535, Math.floor(sectors / (255 * 63))));
  return [
    '# Disk DescriptorFile',
    'version=1',
    'CID=fffffffe',
    'parentCID=ffffffff',
    'createType="vmfs"',
    '',
    '# Extent description',
    `RW ${sectors} VMFS "${extentName}"`,
    '',
    '# The Disk Data Base',
    'ddb.adapterType = "lsilogic"',
    `ddb.geometry.cylinders = "${cylinders}"`,
    'ddb.geometry.heads = "255"',
    'ddb.geometry.sectors = "63"',
    'ddb.virtualHWVersion = "13"',
    '',
  ].join('\n');
}

function unitNumber(index: number): number {
  return index < CONTROLLER_UNIT ? index : index + 1;
}

/** The `config` argument of CreateVM_Task. */
export function vmConfigSpec(options: {
  name: string;
  /** `[datastore] folder/name.vmx`: next to the uploaded disks. */
  vmxPath: string;
  meta: VspherePointMeta;
  disks: RestoredDiskFile[];
  /** Standard (non-distributed) networks that exist on the target, by name. */
  networks: ReadonlySet<string>;
}): XmlElement {
  const { meta } = options;
  const changes: XmlElement[] = [
    el('deviceChange', [
      el('operation', 'add'),
      el('device', [el('key', CONTROLLER_KEY), el('busNumber', 0), el('sharedBus', 'noSharing')], {
        xsiType: 'ParaVirtualSCSIController',
      }),
    ]),
  ];
  options.disks.forEach((disk, i) => {
    changes.push(
      el('deviceChange', [
        el('operation', 'add'),
        el(
          'device',
          [
            el('key', -200 - i),
            el(
              'backing',
              [
                el('fileName', disk.fileName),
                el('diskMode', 'persistent'),
                el('thinProvisioned', true),
              ],
              { xsiType: 'VirtualDiskFlatVer2BackingInfo' },
            ),
            el('controllerKey', CONTROLLER_KEY),
            el('unitNumber', unitNumber(i)),
            el('capacityInKB', Math.ceil(disk.capacityBytes / 1024)),
          ],
          { xsiType: 'VirtualDisk' },
        ),
      ]),
    );
  });
  meta.vsphere.nics.forEach((nic, i) => {
    if (nic.source === undefined || !options.networks.has(nic.source)) return;
    changes.push(
      el('deviceChange', [
        el('operation', 'add'),
        el(
          'device',
          [
            el('key', -300 - i),
            el('backing', [el('deviceName', nic.source)], {
              xsiType: 'VirtualEthernetCardNetworkBackingInfo',
            }),
            el('addressType', 'generated'),
          ],
          { xsiType: NIC_TYPES[nic.model ?? ''] ?? 'VirtualVmxnet3' },
        ),
      ]),
    );
  });
  return el('config', [
    el('name', options.name),
    el('guestId', meta.vsphere.guestId),
    el('files', [el('vmPathName', options.vmxPath)]),
    el('numCPUs', Math.max(1, meta.vsphere.vcpus)),
    el('memoryMB', Math.max(4, Math.round(meta.vsphere.memoryBytes / (1024 * 1024)))),
    ...changes,
    el('firmware', meta.vsphere.firmware),
  ]);
}

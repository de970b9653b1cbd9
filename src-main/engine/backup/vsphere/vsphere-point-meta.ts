/**
 * What a vSphere backup records with its restore point: enough of the VM's configuration to
 * create it again (CreateVM) and to find where its disks came from.
 */
import type { VsphereConnector } from '../../connectors/vsphere/vsphere-connector';
import type { VsphereVm } from '../../connectors/vsphere/vm-mapping';
import type { ChangeTracking } from '../types';

export interface VspherePointMeta {
  hypervisor: { endpoint: string; hostname: string; type: 'vsphere' };
  powerState: 'running' | 'shutoff';
  changeTracking: ChangeTracking;
  /** No libvirt checkpoint: kept null so readers of libvirt points see the same shape. */
  checkpoint: null;
  vsphere: {
    moref: string;
    datacenter: string;
    cluster?: string;
    guestId: string;
    firmware: string;
    vcpus: number;
    memoryBytes: number;
    nics: { model?: string; source?: string; mac: string }[];
  };
  disks: {
    target: string;
    source: string;
    format: 'vmdk';
    capacityBytes: number;
    controller: string;
  }[];
}

export function vspherePointMeta(
  connector: VsphereConnector,
  vm: VsphereVm,
  fields: {
    powerState: 'running' | 'shutoff';
    changeTracking: ChangeTracking;
    disks: { target: string; fileName: string; capacityBytes: number }[];
  },
): Record<string, unknown> & VspherePointMeta {
  return {
    hypervisor: { endpoint: connector.endpoint, hostname: vm.vm.host, type: 'vsphere' },
    powerState: fields.powerState,
    changeTracking: fields.changeTracking,
    checkpoint: null,
    vsphere: {
      moref: vm.moref,
      datacenter: vm.datacenterPath,
      ...(vm.cluster !== undefined ? { cluster: vm.cluster } : {}),
      guestId: vm.guestId,
      firmware: vm.firmware,
      vcpus: vm.vm.vcpus,
      memoryBytes: vm.vm.memoryBytes,
      nics: vm.vm.nics.map((n) => ({
        mac: n.mac,
        ...(n.model !== undefined ? { model: n.model } : {}),
        ...(n.source !== undefined ? { source: n.source } : {}),
      })),
    },
    disks: fields.disks.map((d) => ({
      target: d.target,
      source: d.fileName,
      format: 'vmdk',
      capacityBytes: d.capacityBytes,
      controller: vm.disks.find((v) => v.target === d.target)?.controller ?? 'scsi',
    })),
  };
}

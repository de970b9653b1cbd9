import type { Hypervisor } from '../../../shared/domain/hypervisor';
import type { VirtualMachine } from '../../../shared/domain/vm';
import type { VmListError } from '../../store/vms-slice';

export interface HostStats {
  hypervisorId: string;
  name: string;
  vmCount: number;
  provisionedBytes: number;
  reachable: boolean;
}

export interface InventoryStats {
  hypervisors: number;
  reachable: number;
  vms: number;
  running: number;
  off: number;
  /** paused, suspended, crashed, shutting down… */
  other: number;
  provisionedBytes: number;
  memoryBytes: number;
  vcpus: number;
  disks: number;
  perHost: HostStats[];
}

/** The dashboard's numbers, from the last hypervisor list and inventory refresh. */
export function inventoryStats(
  hypervisors: readonly Hypervisor[],
  vms: readonly VirtualMachine[],
  errors: readonly VmListError[],
): InventoryStats {
  const unreachable = new Set(errors.map((e) => e.hypervisorId));
  const perHost = hypervisors.map((h) => {
    const own = vms.filter((vm) => vm.hypervisorId === h.id);
    return {
      hypervisorId: h.id,
      name: h.name,
      vmCount: own.length,
      provisionedBytes: own.reduce((sum, vm) => sum + vm.provisionedBytes, 0),
      reachable: !unreachable.has(h.id),
    };
  });
  const running = vms.filter((vm) => vm.powerState === 'running').length;
  const off = vms.filter((vm) => vm.powerState === 'shutoff').length;
  return {
    hypervisors: hypervisors.length,
    reachable: perHost.filter((h) => h.reachable).length,
    vms: vms.length,
    running,
    off,
    other: vms.length - running - off,
    provisionedBytes: vms.reduce((sum, vm) => sum + vm.provisionedBytes, 0),
    memoryBytes: vms.reduce((sum, vm) => sum + vm.memoryBytes, 0),
    vcpus: vms.reduce((sum, vm) => sum + vm.vcpus, 0),
    disks: vms.reduce((sum, vm) => sum + vm.disks.filter((d) => d.device === 'disk').length, 0),
    perHost,
  };
}

import type { PowerState, VirtualDisk, VirtualMachine } from '../../../shared/domain/vm';
import { formatBytes } from '../../lib/format';

export const POWER_STATE_LABELS: Record<PowerState, string> = {
  running: 'Running',
  blocked: 'Blocked',
  paused: 'Paused',
  shutdown: 'Shutting down',
  shutoff: 'Shut off',
  crashed: 'Crashed',
  suspended: 'Suspended',
  unknown: 'Unknown',
};

export function osLabel(vm: VirtualMachine): string {
  return vm.guestOs ?? vm.osType ?? '—';
}

/** Only real disks count as "disks"; CD-ROMs and floppies are listed in the details drawer. */
export function backedUpDisks(vm: VirtualMachine): VirtualDisk[] {
  return vm.disks.filter((disk) => disk.device === 'disk' || disk.device === 'lun');
}

export function diskTargets(vm: VirtualMachine): string {
  return backedUpDisks(vm)
    .map((disk) => disk.target)
    .join(', ');
}

export function describeDisk(disk: VirtualDisk): string {
  return `${disk.target}: ${disk.format}, ${formatBytes(disk.capacityBytes)} — ${disk.path}`;
}

/**
 * Filter by every word typed, each matching any column an admin would search by: name, host,
 * state, OS, disk targets and paths, title, and metadata values.
 */
export function filterVms(vms: readonly VirtualMachine[], text: string): VirtualMachine[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...vms];
  return vms.filter((vm) => {
    const haystack = [
      vm.name,
      vm.title ?? '',
      vm.hypervisorName,
      vm.host,
      vm.powerState,
      POWER_STATE_LABELS[vm.powerState],
      osLabel(vm),
      vm.uuid,
      ...vm.disks.flatMap((disk) => [disk.target, disk.path, disk.format]),
      ...Object.values(vm.metadata),
    ]
      .join('\n')
      .toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}

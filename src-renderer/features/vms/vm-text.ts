import type { PowerState, VirtualDisk, VirtualMachine } from '../../../shared/domain/vm';
import { formatBytes, formatCount } from '../../lib/format';

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

/** Shown until a backup has looked inside the disks (or when it found no OS it knows). */
export const OS_NOT_DETECTED = 'Unknown (detected by a backup)';

/**
 * The guest operating system: what a backup found on the disks or libvirt's libosinfo metadata
 * (both arrive as guestOs). Never libvirt's <os><type> ("hvm" is the virtualization mode, not an
 * OS), and not guessed from the free-text description.
 */
export function osLabel(vm: VirtualMachine): string {
  const guest = vm.guestOs?.trim();
  return guest ? libosinfoName(guest) : OS_NOT_DETECTED;
}

const LIBOSINFO_DISTROS: Record<string, string> = {
  almalinux: 'AlmaLinux',
  alpinelinux: 'Alpine Linux',
  archlinux: 'Arch Linux',
  centos: 'CentOS',
  'centos-stream': 'CentOS Stream',
  debian: 'Debian',
  fedora: 'Fedora',
  freebsd: 'FreeBSD',
  opensuse: 'openSUSE',
  rhel: 'RHEL',
  rocky: 'Rocky Linux',
  sles: 'SLES',
  ubuntu: 'Ubuntu',
};

/**
 * libosinfo short ids ("debian12", "ubuntu22.04", "win2k22") as people write them ("Debian 12",
 * "Ubuntu 22.04", "Windows Server 2022"); anything else (a detected "Debian GNU/Linux") as is.
 */
function libosinfoName(id: string): string {
  const windows = /^win(?:2k(\d{1,2})(r2)?|(\d{1,2}))$/.exec(id);
  if (windows) {
    if (windows[3]) return `Windows ${windows[3]}`;
    return `Windows Server 20${(windows[1] ?? '').padStart(2, '0')}${windows[2] ? ' R2' : ''}`;
  }
  const distro = /^([a-z][a-z-]*?)-?(\d[\d.]*)$/.exec(id);
  const name = distro ? LIBOSINFO_DISTROS[distro[1] ?? ''] : undefined;
  return name && distro ? `${name} ${distro[2] ?? ''}` : id;
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
      // The OS only when known: "Unknown (detected by a backup)" must not match "backup".
      vm.guestOs ? osLabel(vm) : '',
      vm.guestOs ?? '',
      vm.uuid,
      ...vm.disks.flatMap((disk) => [disk.target, disk.path, disk.format]),
      ...Object.values(vm.metadata),
    ]
      .join('\n')
      .toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}

/**
 * Hypervisors that did not answer leave the list incomplete; one that repeats another's VMs
 * (the same host under a second address, which the engine lists once) leaves it whole.
 */
export function vmErrorsTitle(errors: { error: { code: string } }[]): string {
  const unanswered = errors.filter((e) => e.error.code !== 'ALREADY_EXISTS').length;
  if (unanswered > 0)
    return `The list is incomplete: ${formatCount(unanswered, 'hypervisor')} did not answer`;
  return errors.length === 1
    ? 'A host is registered twice'
    : `${errors.length} hosts are registered twice`;
}

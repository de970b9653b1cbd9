import { describe, expect, it } from 'vitest';
import type { VirtualMachine } from '../../../../../shared/domain/vm';
import {
  OS_NOT_DETECTED,
  diskTargets,
  filterVms,
  osLabel,
} from '../../../../../src-renderer/features/vms/vm-text';

const GiB = 1024 ** 3;

function vm(name: string, overrides: Partial<VirtualMachine> = {}): VirtualMachine {
  return {
    uuid: `uuid-${name}`,
    name,
    hypervisorId: 'h1',
    hypervisorName: 'lab-host-1',
    host: 'node-a.example',
    powerState: 'running',
    vcpus: 1,
    memoryBytes: GiB,
    disks: [
      {
        target: 'vda',
        bus: 'virtio',
        device: 'disk',
        format: 'qcow2',
        path: `/var/lib/libvirt/images/${name}.qcow2`,
        capacityBytes: 8 * GiB,
        readonly: false,
      },
    ],
    nics: [],
    provisionedBytes: 8 * GiB,
    metadata: {},
    ...overrides,
  };
}

const inventory = [
  vm('lab-web-01', { guestOs: 'debian12' }),
  vm('lab-db-01', {
    disks: [
      ...vm('x').disks,
      { ...vm('x').disks[0]!, target: 'vdb', format: 'raw', path: '/data/db.raw' },
      { ...vm('x').disks[0]!, target: 'sda', device: 'cdrom', path: '/iso/install.iso' },
    ],
  }),
  vm('lab-archive-01', { powerState: 'shutoff', hypervisorName: 'lab-host-2', osType: 'hvm' }),
];

describe('filterVms', () => {
  it('returns everything for an empty filter', () => {
    expect(filterVms(inventory, '  ')).toHaveLength(3);
  });

  it('matches names, hosts, states and disk paths, case-insensitively', () => {
    expect(filterVms(inventory, 'DB').map((v) => v.name)).toEqual(['lab-db-01']);
    expect(filterVms(inventory, 'lab-host-2').map((v) => v.name)).toEqual(['lab-archive-01']);
    expect(filterVms(inventory, 'shut off').map((v) => v.name)).toEqual(['lab-archive-01']);
    expect(filterVms(inventory, '/data/db.raw').map((v) => v.name)).toEqual(['lab-db-01']);
  });

  it('requires every word to match', () => {
    expect(filterVms(inventory, 'lab running web').map((v) => v.name)).toEqual(['lab-web-01']);
    expect(filterVms(inventory, 'web shutoff')).toEqual([]);
  });
});

describe('VM columns text', () => {
  it('lists only real disks as targets', () => {
    expect(diskTargets(inventory[1]!)).toBe('vda, vdb');
  });

  it('names the guest OS, never the virtualization type "hvm"', () => {
    expect(osLabel(inventory[0]!)).toBe('Debian 12');
    expect(osLabel(inventory[2]!)).toBe(OS_NOT_DETECTED);
    expect(osLabel(vm('bare'))).toBe(OS_NOT_DETECTED);
    expect(osLabel(vm('found', { guestOs: 'Debian GNU/Linux', osType: 'hvm' }))).toBe(
      'Debian GNU/Linux',
    );
  });

  it('writes libosinfo ids the way people do, and leaves unknown ids alone', () => {
    const label = (guestOs: string) => osLabel(vm('x', { guestOs }));
    expect(label('ubuntu22.04')).toBe('Ubuntu 22.04');
    expect(label('centos-stream9')).toBe('CentOS Stream 9');
    expect(label('rhel9.2')).toBe('RHEL 9.2');
    expect(label('win11')).toBe('Windows 11');
    expect(label('win2k22')).toBe('Windows Server 2022');
    expect(label('win2k8r2')).toBe('Windows Server 2008 R2');
    expect(label('haiku-nightly')).toBe('haiku-nightly');
  });

  it('finds VMs by OS, but not by the "unknown" placeholder', () => {
    expect(filterVms(inventory, 'debian 12').map((v) => v.name)).toEqual(['lab-web-01']);
    expect(filterVms(inventory, 'debian12').map((v) => v.name)).toEqual(['lab-web-01']);
    expect(filterVms(inventory, 'unknown')).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseDomainXml,
  shortIdFromOsinfoId,
} from '../../../../../src-main/engine/connectors/libvirt/domain-xml';
import { parseHostCpu } from '../../../../../src-main/engine/connectors/libvirt/capabilities-xml';

// Captured with `virsh dumpxml` from libvirt 9.0 / QEMU 7.2 (image paths rewritten).
const fixture = (name: string): string =>
  readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('parseDomainXml', () => {
  it('reads a typical shut-off VM: disks, NIC, memory, metadata, libosinfo guest OS', () => {
    const vm = parseDomainXml(fixture('alpha-shutoff.xml'));
    expect(vm).toEqual({
      uuid: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b',
      name: 'alpha',
      vcpus: 2,
      memoryBytes: 256 * 1024 * 1024,
      disks: [
        {
          target: 'vda',
          bus: 'virtio',
          device: 'disk',
          format: 'qcow2',
          path: '/var/lib/libvirt/images/alpha.qcow2',
          readonly: false,
        },
        {
          target: 'vdb',
          bus: 'virtio',
          device: 'disk',
          format: 'raw',
          path: '/var/lib/libvirt/images/alpha-data.raw',
          readonly: true,
        },
        { target: 'sda', bus: 'sata', device: 'cdrom', format: 'raw', path: '', readonly: true },
      ],
      nics: [{ mac: '52:54:00:12:34:56', type: 'user', model: 'virtio' }],
      osType: 'hvm',
      firmware: 'bios',
      title: 'Alpha test VM',
      description: 'first test domain',
      metadata: {
        'hk:tags': 'prod,web',
        'libosinfo:libosinfo/libosinfo:os@id': 'http://debian.org/debian/12',
      },
      guestOs: 'debian12',
    });
  });

  it('reads UEFI, volume/network/block disks, bridge and network NICs, nested metadata', () => {
    const vm = parseDomainXml(fixture('gamma-uefi-mixed-disks.xml'));
    expect(vm.firmware).toBe('efi');
    expect(vm.vcpus).toBe(2); // current='2' of a maximum of 4
    expect(vm.memoryBytes).toBe(2 * 1024 ** 3);
    expect(vm.title).toBe('Gamma & friends');
    expect(vm.description).toBeUndefined();
    expect(vm.disks.map((d) => [d.target, d.device, d.format, d.path])).toEqual([
      ['sda', 'disk', 'qcow2', 'default/gamma-root.qcow2'],
      ['sdc', 'cdrom', 'raw', '/var/lib/libvirt/images/missing.iso'],
      ['vdb', 'disk', 'raw', 'nbd://nbd.example.org:10809/export1'],
      ['sdb', 'lun', 'raw', '/dev/null'],
    ]);
    expect(vm.nics).toEqual([
      { mac: '52:54:00:aa:bb:cc', type: 'bridge', model: 'e1000e', source: 'br0' },
      { mac: '52:54:00:aa:bb:cd', type: 'network', model: 'virtio', source: 'default' },
    ]);
    expect(vm.metadata).toEqual({
      'app1:foo': 'fooish',
      'app2:bar@level': '3',
      'app2:bar/app2:item[1]': 'one',
      'app2:bar/app2:item[2]': 'two',
      'libosinfo:libosinfo/libosinfo:os@id': 'http://microsoft.com/win/10',
    });
    expect(vm.guestOs).toBe('win10');
  });

  it('reads the live XML of a running VM (alias, index, backingStore do not disturb it)', () => {
    const vm = parseDomainXml(fixture('beta-running-live.xml'));
    expect(vm.name).toBe('beta');
    expect(vm.memoryBytes).toBe(128 * 1024 * 1024);
    expect(vm.disks).toEqual([
      {
        target: 'vda',
        bus: 'virtio',
        device: 'disk',
        format: 'qcow2',
        path: '/var/lib/libvirt/images/beta.qcow2',
        readonly: false,
      },
    ]);
    expect(vm.nics).toEqual([]);
    expect(vm.metadata).toEqual({});
    expect(vm.guestOs).toBeUndefined();
  });

  it('honours every memory unit libvirt accepts', () => {
    const mem = (unit: string | null, value = '3'): number =>
      parseDomainXml(
        `<domain><name>m</name><uuid>00000000-0000-0000-0000-000000000001</uuid>` +
          `<memory${unit === null ? '' : ` unit='${unit}'`}>${value}</memory></domain>`,
      ).memoryBytes;
    expect(mem(null)).toBe(3 * 1024);
    expect(mem('b')).toBe(3);
    expect(mem('bytes')).toBe(3);
    expect(mem('KB')).toBe(3000);
    expect(mem('k')).toBe(3 * 1024);
    expect(mem('MiB')).toBe(3 * 1024 ** 2);
    expect(mem('MB')).toBe(3 * 1000 ** 2);
    expect(mem('G')).toBe(3 * 1024 ** 3);
    expect(mem('TiB')).toBe(3 * 1024 ** 4);
    expect(() => mem('furlongs')).toThrow(/unknown unit "furlongs"/);
    expect(() => mem('KiB', '12abc')).toThrow(/non-numeric/);
  });

  it('finds libosinfo by namespace, whatever prefix the document uses', () => {
    const vm = parseDomainXml(
      `<domain><name>n</name><uuid>00000000-0000-0000-0000-000000000002</uuid><metadata>` +
        `<os:libosinfo xmlns:os="http://libosinfo.org/xmlns/libvirt/domain/1.0">` +
        `<os:os id="http://ubuntu.com/ubuntu/22.04"/></os:libosinfo>` +
        `<fake:libosinfo xmlns:fake="http://example.org/not-libosinfo">` +
        `<fake:os id="http://evil.example/x/1"/></fake:libosinfo></metadata></domain>`,
    );
    expect(vm.guestOs).toBe('ubuntu22.04');
  });

  it('turns libosinfo ids into their usual short ids', () => {
    expect(shortIdFromOsinfoId('http://debian.org/debian/12')).toBe('debian12');
    expect(shortIdFromOsinfoId('http://redhat.com/rhel/9.2')).toBe('rhel9.2');
    expect(shortIdFromOsinfoId('http://centos.org/centos-stream/9')).toBe('centos-stream9');
    expect(shortIdFromOsinfoId('custom-os')).toBe('custom-os');
  });

  it('bounds what hostile metadata can produce', () => {
    const many = Array.from({ length: 1000 }, (_, i) => `<x:k${i}>v</x:k${i}>`).join('');
    const deep = '<x:d>'.repeat(30) + 'bottom' + '</x:d>'.repeat(30);
    const vm = parseDomainXml(
      `<domain><name>h</name><uuid>00000000-0000-0000-0000-000000000003</uuid>` +
        `<metadata><x:wrap xmlns:x="urn:x">${many}</x:wrap>${deep}</metadata></domain>`,
    );
    expect(Object.keys(vm.metadata).length).toBeLessThanOrEqual(256);
    const abyss = '<x>'.repeat(1000) + '</x>'.repeat(1000);
    expect(() =>
      parseDomainXml(`<domain><name>h</name><uuid>u</uuid><metadata>${abyss}</metadata></domain>`),
    ).toThrow(/unreadable domain XML: Maximum nested tags exceeded/);
  });

  it('rejects broken XML and XML without a domain identity, naming the problem', () => {
    expect(() => parseDomainXml('<domain><name>x</name>')).toThrow(/unreadable domain XML/);
    expect(() => parseDomainXml('<network><name>x</name></network>')).toThrow(/without <domain>/);
    expect(() => parseDomainXml('<domain><name>x</name></domain>')).toThrow(
      /without a name or uuid/,
    );
  });
});

describe('parseHostCpu', () => {
  it('reads the host CPU vendor, model and architecture from capabilities XML', () => {
    const caps =
      `<capabilities><host><uuid>u</uuid><cpu><arch>x86_64</arch><model>Skylake-Client-IBRS</model>` +
      `<vendor>Intel</vendor><feature name='vme'/></cpu></host><guest/></capabilities>`;
    expect(parseHostCpu(caps)).toEqual({
      arch: 'x86_64',
      vendor: 'Intel',
      model: 'Skylake-Client-IBRS',
    });
  });
});

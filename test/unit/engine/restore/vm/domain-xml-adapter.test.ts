import { describe, expect, it } from 'vitest';
import { parseDomainXml } from '../../../../../src-main/engine/connectors/libvirt/domain-xml';
import { adaptDomainXml } from '../../../../../src-main/engine/restore/vm/domain-xml-adapter';

const SOURCE = `<domain type='kvm' id='7'>
  <name>web-01</name>
  <uuid>11111111-2222-3333-4444-555555555555</uuid>
  <metadata><hk:tags xmlns:hk='https://hyperkeep.dev/xmlns/1'>web,prod &amp; eu</hk:tags></metadata>
  <memory unit='KiB'>1048576</memory>
  <vcpu placement='static'>2</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>
    <nvram>/var/lib/libvirt/qemu/nvram/web-01_VARS.fd</nvram>
  </os>
  <cpu mode='host-passthrough'/>
  <devices>
    <emulator>/usr/libexec/qemu-kvm</emulator>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source dev='/dev/vg0/web-root'><seclabel model='dac' relabel='no'/></source>
      <backingStore/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/images/web-data.qcow2'/>
      <target dev='hdb' bus='xen'/>
      <address type='drive' controller='0' bus='0' target='0' unit='1'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='/images/scratch.img'/>
      <target dev='vdc' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/isos/debian.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:aa:bb:cc'/>
      <source network='default'/>
      <target dev='vnet3'/>
      <model type='virtio'/>
    </interface>
    <channel type='unix'>
      <source mode='bind' path='/var/lib/libvirt/qemu/channel/target/web-01.org.qemu.guest_agent.0'/>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <hostdev mode='subsystem' type='pci'><source><address domain='0' bus='3' slot='0' function='0'/></source></hostdev>
  </devices>
  <seclabel type='dynamic' model='selinux'/>
</domain>`;

const placements = [
  { target: 'vda', path: '/pool/copy-vda.qcow2', format: 'qcow2' as const },
  { target: 'hdb', path: '/pool/copy-hdb.img', format: 'raw' as const },
];

describe('adaptDomainXml', () => {
  const adapted = adaptDomainXml(SOURCE, {
    name: 'web-copy',
    uuid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    keepMacs: false,
    disks: placements,
    supportedBuses: new Set(['virtio', 'sata', 'scsi', 'usb', 'ide']),
  });
  const parsed = parseDomainXml(adapted.xml);

  it('gives the copy its new name and UUID and keeps CPU, memory, firmware and metadata', () => {
    expect(parsed.name).toBe('web-copy');
    expect(parsed.uuid).toBe('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
    expect(parsed.vcpus).toBe(2);
    expect(parsed.memoryBytes).toBe(1024 ** 3);
    expect(parsed.firmware).toBe('efi');
    expect(parsed.metadata['hk:tags']).toBe('web,prod & eu');
    expect(adapted.xml).toContain('<cpu mode="host-passthrough"');
    expect(adapted.xml).toContain('OVMF_CODE.fd');
    expect(adapted.xml).not.toMatch(/id="7"/);
  });

  it('points restored disks at their volumes and leaves out disks the point lacks', () => {
    const disks = parsed.disks.filter((d) => d.device === 'disk');
    expect(disks.map((d) => [d.target, d.path, d.format])).toEqual([
      ['vda', '/pool/copy-vda.qcow2', 'qcow2'],
      ['hdb', '/pool/copy-hdb.img', 'raw'],
    ]);
    expect(adapted.changes).toContain('vdc: not in the restore point, left out of the restored VM');
    expect(adapted.xml).not.toContain('backingStore');
    expect(adapted.xml).toContain('cache="none"');
  });

  it('moves a disk off a bus the destination lacks and drops its old address', () => {
    expect(parsed.disks.find((d) => d.target === 'hdb')!.bus).toBe('virtio');
    expect(adapted.xml).not.toContain('controller="0"');
  });

  it('removes what belongs to the source host: labels, NVRAM, emulator, ISO, tap, sockets, PCI', () => {
    for (const gone of [
      'seclabel',
      'web-01_VARS.fd',
      'qemu-kvm',
      'debian.iso',
      'vnet3',
      "guest_agent.0'",
      'hostdev',
      '/images/',
    ]) {
      expect(adapted.xml).not.toContain(gone);
    }
    expect(parsed.disks.find((d) => d.device === 'cdrom')).toMatchObject({
      target: 'sda',
      path: '',
    });
  });

  it('drops MAC addresses for a copy (libvirt makes new ones) and keeps them in place', () => {
    expect(parsed.nics).toHaveLength(1);
    expect(adapted.xml).not.toContain('52:54:00:aa:bb:cc');
    const inPlace = adaptDomainXml(SOURCE, {
      name: 'web-01',
      uuid: '11111111-2222-3333-4444-555555555555',
      keepMacs: true,
      disks: placements,
      supportedBuses: new Set(),
    });
    expect(parseDomainXml(inPlace.xml).nics[0]!.mac).toBe('52:54:00:aa:bb:cc');
    expect(parseDomainXml(inPlace.xml).disks.find((d) => d.target === 'hdb')!.bus).toBe('xen');
  });

  it('refuses stored XML that is not a domain', () => {
    expect(() =>
      adaptDomainXml('<pool/>', {
        ...{ name: 'x', uuid: 'y' },
        keepMacs: false,
        disks: [],
        supportedBuses: new Set(),
      }),
    ).toThrow(/no <domain>/);
    expect(() =>
      adaptDomainXml('<domain><name>', {
        name: 'x',
        uuid: 'y',
        keepMacs: false,
        disks: [],
        supportedBuses: new Set(),
      }),
    ).toThrow(/not valid XML/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  isSwap,
  matchVolume,
  mbrPartUuid,
  parseDeviceSpec,
  parseFstab,
  type VolumeIdentity,
} from '../../../../src-main/engine/guest';

const FSTAB = `# /etc/fstab: static file system information.
#
# <file system>                           <mount point>   <type>  <options>          <dump> <pass>
UUID=6a1f3c52-2b7e-4d1a-9a43-0c8e5f7b2d10  /               ext4    errors=remount-ro  0      1
LABEL=my\\040data                          /srv/my\\040data ext4   defaults,noatime   0      2
	PARTUUID=4b1a2c3d-02   none  swap  sw  0  0
/dev/mapper/vg0-root /mnt/lv ext4 defaults 0 2

tmpfs /tmp tmpfs nosuid,nodev 0 0
server:/export /mnt/nfs nfs defaults 0 0
/srv/a /srv/b none bind 0 0
proc
`;

describe('parseFstab', () => {
  it('reads entries, skipping comments, blank and short lines, and undoes octal escapes', () => {
    const entries = parseFstab(FSTAB);
    expect(entries.map((e) => [e.source, e.mountPoint, e.type, e.line])).toEqual([
      ['UUID=6a1f3c52-2b7e-4d1a-9a43-0c8e5f7b2d10', '/', 'ext4', 4],
      ['LABEL=my data', '/srv/my data', 'ext4', 5],
      ['PARTUUID=4b1a2c3d-02', 'none', 'swap', 6],
      ['/dev/mapper/vg0-root', '/mnt/lv', 'ext4', 7],
      ['tmpfs', '/tmp', 'tmpfs', 9],
      ['server:/export', '/mnt/nfs', 'nfs', 10],
      ['/srv/a', '/srv/b', 'none', 11],
    ]);
    expect(entries[1]!.options).toEqual(['defaults', 'noatime']);
    expect(isSwap(entries[2]!)).toBe(true);
    expect(isSwap(entries[0]!)).toBe(false);
  });

  it('handles CRLF line ends and a file without a final newline', () => {
    expect(parseFstab('/dev/vda1 / ext4 defaults 0 1\r\n/dev/vdb /data xfs').length).toBe(2);
    expect(parseFstab('/dev/vda1 / ext4 defaults 0 1\r\n')[0]!.options).toEqual(['defaults']);
  });
});

describe('parseDeviceSpec', () => {
  it.each([
    ['UUID=abcd-1234', { by: 'uuid', value: 'abcd-1234' }],
    [
      'UUID="6a1f3c52-2b7e-4d1a-9a43-0c8e5f7b2d10"',
      { by: 'uuid', value: '6a1f3c52-2b7e-4d1a-9a43-0c8e5f7b2d10' },
    ],
    ['LABEL=root', { by: 'label', value: 'root' }],
    ['PARTUUID=4b1a2c3d-02', { by: 'partuuid', value: '4b1a2c3d-02' }],
    ['PARTLABEL=EFI\\040System', { by: 'partlabel', value: 'EFI\\040System' }],
    ['/dev/disk/by-uuid/6a1f3c52-2b7e', { by: 'uuid', value: '6a1f3c52-2b7e' }],
    ['/dev/disk/by-label/my\\x20data', { by: 'label', value: 'my data' }],
    ['/dev/disk/by-partuuid/0FC63DAF-8483', { by: 'partuuid', value: '0FC63DAF-8483' }],
    ['/dev/vda1', { by: 'name', value: 'vda1' }],
    ['/dev/sdb', { by: 'name', value: 'sdb' }],
    ['/dev/nvme0n1p2', { by: 'name', value: 'nvme0n1p2' }],
    ['/dev/mapper/vg0-root', { by: 'name', value: 'vg0-root' }],
    ['/dev/vg0/root', { by: 'name', value: 'vg0-root' }],
    ['/dev/my-vg/my-lv', { by: 'name', value: 'my--vg-my--lv' }],
  ])('%s', (source, expected) => {
    expect(parseDeviceSpec(source)).toEqual(expected);
  });

  it.each(['tmpfs', 'proc', 'server:/export', '/srv/a', 'ID=x', '/dev/disk/by-id/ata-X'])(
    '%s names no block device',
    (source) => {
      expect(parseDeviceSpec(source)).toBeUndefined();
    },
  );
});

describe('matchVolume', () => {
  const volumes: VolumeIdentity[] = [
    {
      name: 'vda1',
      fsUuid: '6a1f3c52-2b7e-4d1a-9a43-0c8e5f7b2d10',
      label: 'root',
      partUuid: '5A0C6F1E-0000-4C3A-9E1F-0A1B2C3D4E01',
    },
    { name: 'vda2', label: 'my data', partUuid: '4b1a2c3d-02', partLabel: 'data' },
    { name: 'vdb', fsUuid: 'ABCD-1234' },
    { name: 'vg0-root', fsUuid: '0d9b7e61-3c2f-4a58-b1e4-7f6a2c9d8e21' },
  ];
  const match = (source: string) => {
    const spec = parseDeviceSpec(source);
    const found = spec && matchVolume(spec, volumes);
    return found && { name: found.volume.name, assumed: found.assumed };
  };

  it('matches UUIDs and PARTUUIDs without regard to case, labels exactly', () => {
    expect(match('UUID=6A1F3C52-2B7E-4D1A-9A43-0C8E5F7B2D10')).toEqual({
      name: 'vda1',
      assumed: false,
    });
    expect(match('UUID=abcd-1234')).toEqual({ name: 'vdb', assumed: false });
    expect(match('PARTUUID=5a0c6f1e-0000-4c3a-9e1f-0a1b2c3d4e01')).toEqual({
      name: 'vda1',
      assumed: false,
    });
    expect(match('LABEL=my\\040data')).toBeUndefined(); // the raw source is not unescaped here
    expect(match('LABEL=root')).toEqual({ name: 'vda1', assumed: false });
    expect(match('LABEL=ROOT')).toBeUndefined();
    expect(match('PARTLABEL=data')).toEqual({ name: 'vda2', assumed: false });
  });

  it('matches device and LVM names, and a disk seen on another bus only when unambiguous', () => {
    expect(match('/dev/vda2')).toEqual({ name: 'vda2', assumed: false });
    expect(match('/dev/vg0/root')).toEqual({ name: 'vg0-root', assumed: false });
    expect(match('/dev/mapper/vg0-root')).toEqual({ name: 'vg0-root', assumed: false });
    expect(match('/dev/sda1')).toEqual({ name: 'vda1', assumed: true });
    expect(match('/dev/xvdb')).toEqual({ name: 'vdb', assumed: true });
    expect(match('/dev/sdc1')).toBeUndefined();
    expect(match('UUID=0000-0000')).toBeUndefined();
  });

  it('forms MBR PARTUUIDs as Linux does', () => {
    expect(mbrPartUuid(0x4b1a2c3d, 2)).toBe('4b1a2c3d-02');
    expect(mbrPartUuid(0x1f, 12)).toBe('0000001f-0c');
  });
});

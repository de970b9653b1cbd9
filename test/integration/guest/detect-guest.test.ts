import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDiskImage } from '../../../src-main/engine/formats/open-image';
import { RawImage } from '../../../src-main/engine/formats/raw/raw-image';
import { detectGuest } from '../../../src-main/engine/guest';
import { LAB_DISKS } from '../../harness/image-recipes';
import { fuseAvailable, scratchDir } from '../filesystems/fs-fixtures';
import { makeDisk, guestVolumesOf } from './guest-disks';
import { buildHive, hexValue, unicodeString } from './hive-fixtures';

/**
 * Guest detection on disks built the way installers build them: what the console shows for a
 * Linux VM (distribution, host name, mount points from /etc/fstab) and a Windows VM (product,
 * computer name, drive letters from the SYSTEM hive's MountedDevices).
 */

let scratch: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  scratch = await scratchDir('guest');
});
afterAll(async () => {
  await scratch?.remove();
});

async function detectOnRawDisks(paths: { name: string; path: string }[]) {
  const readers = await Promise.all(
    paths.map(async (d) => ({ name: d.name, reader: await RawImage.open(d.path) })),
  );
  const { volumes, close } = await guestVolumesOf(readers);
  try {
    return await detectGuest(volumes);
  } finally {
    await close();
    for (const r of readers) await r.reader.close();
  }
}

const UBUNTU_OS_RELEASE = `PRETTY_NAME="Ubuntu 24.04.1 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.1 LTS (Noble Numbat)"
ID=ubuntu
ID_LIKE=debian
`;

describe('detectGuest on Linux disks', () => {
  it('reads a GPT system with /usr on its own partition, LVM-free fstab forms and swap', async () => {
    const root = '1b9e2d4c-5a6f-4e3d-8c2b-1a0f9e8d7c61';
    const usr = '2c8f3e5d-6b7a-4f4e-9d3c-2b1a0f9e8d72';
    const pgdata = '3d7a4f6e-7c8b-4a5f-8e4d-3c2b1a0f9e83';
    const usrPartition = '8E1D7C6B-5A49-4382-9170-6F5E4D3C2B1A';
    const fstab = [
      '# /etc/fstab: static file system information.',
      `UUID=${root}  /  ext4  errors=remount-ro  0  1`,
      `PARTUUID=${usrPartition.toLowerCase()} /usr ext4 defaults 0 2`,
      'LABEL=my\\040data /srv/my\\040data ext4 defaults,noatime 0 2',
      '/dev/vda4 none swap sw 0 0',
      `/dev/disk/by-uuid/${pgdata} /var/lib/postgresql ext4 defaults 0 2`,
      'tmpfs /tmp tmpfs nosuid,nodev 0 0',
      'UUID=0000-DEAD /boot/efi vfat umask=0077 0 1',
      '',
    ].join('\n');
    const vda = join(scratch.path, 'linux-gpt-vda.raw');
    const vdb = join(scratch.path, 'linux-gpt-vdb.raw');
    await makeDisk(
      vda,
      'gpt',
      '5A0C6F1E-7B2D-4C3A-9E1F-0A1B2C3D4E99',
      [
        {
          type: 'L',
          volume: {
            fs: 'ext4',
            sizeMiB: 12,
            uuid: root,
            label: 'rootfs',
            tree: {
              'etc/os-release': { symlink: '../usr/lib/os-release' },
              'etc/hostname': 'web-42\n',
              'etc/fstab': fstab,
              usr: null,
              srv: null,
            },
          },
        },
        {
          type: 'L',
          uuid: usrPartition,
          name: 'usr',
          volume: {
            fs: 'ext4',
            sizeMiB: 8,
            uuid: usr,
            tree: { 'lib/os-release': UBUNTU_OS_RELEASE },
          },
        },
        {
          type: 'L',
          volume: {
            fs: 'ext4',
            sizeMiB: 8,
            uuid: '4e6b5a7f-8d9c-4b6a-9f5e-4d3c2b1a0f94',
            label: 'my data',
            tree: {},
          },
        },
        { type: 'S', volume: { fs: 'swap', sizeMiB: 4 } },
      ],
      join(scratch.path, 'work-linux-gpt'),
    );
    await makeDisk(
      vdb,
      'none',
      '',
      [
        {
          type: 'L',
          volume: { fs: 'ext4', sizeMiB: 8, uuid: pgdata, tree: { PG_VERSION: '16\n' } },
        },
      ],
      join(scratch.path, 'work-linux-vdb'),
    );

    const found = await detectOnRawDisks([
      { name: 'vda', path: vda },
      { name: 'vdb', path: vdb },
    ]);
    expect(found.guestOs).toEqual({
      family: 'linux',
      name: 'Ubuntu 24.04.1 LTS',
      version: '24.04',
      hostname: 'web-42',
    });
    expect(found.osId).toBe('ubuntu');
    expect(Object.fromEntries(found.mountPoints)).toEqual({
      vda1: '/',
      vda2: '/usr',
      vda3: '/srv/my data',
      vda4: '[SWAP]',
      vdb: '/var/lib/postgresql',
    });
    expect(found.driveLetters.size).toBe(0);
    expect(found.notes).toEqual([
      '/etc/fstab line 8: UUID=0000-DEAD (/boot/efi) matches no volume of the VM',
    ]);
  });

  it('reads an older MBR system: sda names, MBR PARTUUID, redhat-release and sysconfig', async () => {
    const vda = join(scratch.path, 'linux-mbr.raw');
    await makeDisk(
      vda,
      'dos',
      '0x1234abcd',
      [
        {
          type: '83',
          volume: {
            fs: 'ext4',
            sizeMiB: 12,
            uuid: '5f4c6b8a-9e0d-4c7b-8a6f-5e4d3c2b1a05',
            tree: {
              'etc/fstab':
                '/dev/sda1 / ext4 defaults 1 1\nPARTUUID=1234abcd-02 swap swap defaults 0 0\n',
              'etc/redhat-release': 'CentOS Linux release 7.9.2009 (Core)\n',
              'etc/sysconfig/network': 'NETWORKING=yes\nHOSTNAME=legacy.example.com\n',
            },
          },
        },
        { type: '82', volume: { fs: 'swap', sizeMiB: 4 } },
      ],
      join(scratch.path, 'work-linux-mbr'),
    );
    const found = await detectOnRawDisks([{ name: 'vda', path: vda }]);
    expect(found.guestOs).toEqual({
      family: 'linux',
      name: 'CentOS Linux release 7.9.2009 (Core)',
      version: '7.9.2009',
      hostname: 'legacy.example.com',
    });
    expect(Object.fromEntries(found.mountPoints)).toEqual({ vda1: '/', vda2: '[SWAP]' });
    expect(found.notes).toEqual([
      '/etc/fstab line 1: /dev/sda1 taken to be vda1 (same disk and partition, another bus)',
    ]);
  });

  it("recognizes lab-web-01 from the lab's own disk image", async () => {
    const web = inject('lab').vms.find((vm) => vm.name === 'lab-web-01');
    const disk = web?.disks.find((d) => d.target === 'vda');
    expect(disk, 'lab-web-01 has a vda').toBeDefined();
    const { reader } = await openDiskImage(disk!.path);
    const { volumes, close } = await guestVolumesOf([{ name: 'vda', reader }]);
    try {
      const found = await detectGuest(volumes);
      expect(found.guestOs).toEqual({
        family: 'linux',
        name: 'Debian GNU/Linux 12 (bookworm)',
        version: '12',
        hostname: 'lab-web-01',
      });
      expect(Object.fromEntries(found.mountPoints)).toEqual({ vda1: '/' });
      expect(volumes[0]!.fs?.uuid).toBe(LAB_DISKS['web-01-vda'].volumes[0]!.uuid);
      expect(found.notes).toEqual([]);
    } finally {
      await close();
      await reader.close();
    }
  });
});

/** MountedDevices data for an MBR partition: disk signature and the partition's byte offset. */
function mbrMountedDevice(signature: number, offset: number): string {
  const data = Buffer.alloc(12);
  data.writeUInt32LE(signature, 0);
  data.writeBigUInt64LE(BigInt(offset), 4);
  return hexValue(3, data);
}

/** MountedDevices data for a GPT partition: "DMIO:ID:" and the GUID as GPT stores it. */
function gptMountedDevice(guid: string): string {
  const hex = guid.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  const stored = Buffer.concat([
    Buffer.from([b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!]),
    b.subarray(8),
  ]);
  return hexValue(3, Buffer.concat([Buffer.from('DMIO:ID:', 'latin1'), stored]));
}

/** Windows lives on NTFS; FAT (mtools) runs the same path where FUSE cannot mount NTFS. */
const SYSTEM_FILE_SYSTEMS = fuseAvailable() ? (['ntfs', 'fat'] as const) : (['fat'] as const);

describe('detectGuest on Windows disks', () => {
  it.each(SYSTEM_FILE_SYSTEMS)(
    'reads product, computer name and drive letters of MBR and GPT partitions (system volume on %s)',
    async (systemFs) => {
      const MiB = 1024 * 1024;
      const signature = 0x4b1a2c3d;
      const dataGuid = '9F3B2A1C-4D5E-4F60-8172-93A4B5C6D7E8';
      const hives = join(scratch.path, `hives-${systemFs}`);
      const { mkdir } = await import('node:fs/promises');
      await mkdir(hives, { recursive: true });
      const system = await buildHive(hives, 'SYSTEM', {
        Select: [
          { name: 'Current', data: 'dword:0x2' },
          { name: 'Default', data: 'dword:0x2' },
          { name: 'LastKnownGood', data: 'dword:0x1' },
        ],
        'ControlSet001\\Control\\ComputerName\\ComputerName': [
          { name: 'ComputerName', data: 'string:STALE-NAME' },
        ],
        'ControlSet002\\Control\\ComputerName\\ComputerName': [
          { name: 'ComputerName', data: unicodeString('LAB-WIN-01') },
        ],
        MountedDevices: [
          { name: '\\DosDevices\\C:', data: mbrMountedDevice(signature, MiB) },
          {
            name: '\\??\\Volume{0b1c2d3e-0000-0000-0000-100000000000}',
            data: mbrMountedDevice(signature, MiB),
          },
          { name: '\\DosDevices\\D:', data: mbrMountedDevice(signature, 41 * MiB) },
          { name: '\\DosDevices\\E:', data: gptMountedDevice(dataGuid) },
          { name: '\\DosDevices\\F:', data: mbrMountedDevice(0x11111111, MiB) },
          {
            name: '\\DosDevices\\G:',
            data: unicodeString('\\??\\USBSTOR#Disk&Ven_Generic#0001#{53f56307}', 3),
          },
        ],
      });
      const software = await buildHive(hives, 'SOFTWARE', {
        'Microsoft\\Windows NT\\CurrentVersion': [
          { name: 'ProductName', data: 'string:Windows 10 Pro' },
          { name: 'CurrentBuild', data: 'string:22631' },
          { name: 'DisplayVersion', data: 'string:23H2' },
          { name: 'CurrentMajorVersionNumber', data: 'dword:0xa' },
          { name: 'CurrentMinorVersionNumber', data: 'dword:0x0' },
        ],
      });
      const vda = join(scratch.path, `win-${systemFs}-vda.raw`);
      const vdb = join(scratch.path, `win-${systemFs}-vdb.raw`);
      await makeDisk(
        vda,
        'dos',
        `0x${signature.toString(16)}`,
        [
          {
            type: systemFs === 'ntfs' ? '7' : 'c',
            volume: {
              fs: systemFs,
              sizeMiB: 40,
              label: 'WINSYS',
              tree: { 'Windows/explorer.exe': 'MZ' },
              files: {
                'Windows/System32/config/SYSTEM': system,
                'Windows/System32/config/SOFTWARE': software,
              },
            },
          },
          {
            type: 'c',
            volume: { fs: 'fat', sizeMiB: 8, label: 'DATA', tree: { 'notes.txt': 'x' } },
          },
        ],
        join(scratch.path, `work-win-${systemFs}-vda`),
      );
      await makeDisk(
        vdb,
        'gpt',
        '5A0C6F1E-7B2D-4C3A-9E1F-0A1B2C3D4E98',
        [
          {
            type: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
            uuid: dataGuid,
            volume: { fs: 'fat', sizeMiB: 8, label: 'ARCHIVE', tree: {} },
          },
        ],
        join(scratch.path, `work-win-${systemFs}-vdb`),
      );

      const found = await detectOnRawDisks([
        { name: 'vda', path: vda },
        { name: 'vdb', path: vdb },
      ]);
      expect(found.guestOs).toEqual({
        family: 'windows',
        name: 'Windows 11 Pro',
        version: '23H2 (10.0.22631)',
        hostname: 'LAB-WIN-01',
      });
      expect(found.osId).toBe('windows');
      expect(Object.fromEntries(found.driveLetters)).toEqual({
        vda1: 'C:',
        vda2: 'D:',
        vdb1: 'E:',
      });
      expect(found.mountPoints.size).toBe(0);
      expect(found.notes).toEqual(["drive F: is on a partition that is not among the VM's disks"]);
    },
  );
});

import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDiskImage } from '../../../src-main/engine/formats/open-image';
import { RawImage } from '../../../src-main/engine/formats/raw/raw-image';
import { readGpt } from '../../../src-main/engine/volumes/gpt';
import { listVolumes } from '../../../src-main/engine/volumes/detect';
import { readMbr } from '../../../src-main/engine/volumes/mbr';
import { run } from '../../harness/exec';
import { convertRaw, makeTestDisk } from '../formats/test-disks';

interface SfdiskPartition {
  node: string;
  start: number;
  size: number;
  type: string;
  uuid?: string;
  name?: string;
  bootable?: boolean;
}
interface SfdiskTable {
  label: string;
  id: string;
  partitions: SfdiskPartition[];
}

async function sfdiskJson(path: string): Promise<SfdiskTable> {
  const { stdout } = await run('sfdisk', ['--json', path]);
  return (JSON.parse(stdout) as { partitiontable: SfdiskTable }).partitiontable;
}

let dir: string;
let gptPath: string;
let dosPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-volumes-'));
  gptPath = await makeTestDisk(dir, 'gpt');
  dosPath = await makeTestDisk(dir, 'dos');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('partition tables', () => {
  it('reads a GPT exactly as sfdisk lists it', async () => {
    const disk = await RawImage.open(gptPath);
    try {
      const table = await readGpt(disk, 'vda');
      const expected = await sfdiskJson(gptPath);
      expect(table.diskGuid).toBe(expected.id);
      expect(table.usedBackup).toBe(false);
      expect(
        table.partitions.map((p) => ({
          node: `${gptPath}${p.number}`,
          start: p.startSector,
          size: p.sizeSectors,
          type: p.typeGuid,
          uuid: p.uuid,
          name: p.name,
        })),
      ).toEqual(expected.partitions);
    } finally {
      await disk.close();
    }
  });

  it('reads an MBR with an extended partition and its logical chain exactly as sfdisk lists it', async () => {
    const disk = await RawImage.open(dosPath);
    try {
      const table = await readMbr(disk, 'vda');
      const expected = await sfdiskJson(dosPath);
      expect(`0x${table.diskId.toString(16).padStart(8, '0')}`).toBe(expected.id);
      expect(
        table.partitions.map((p) => ({
          node: `${dosPath}${p.number}`,
          start: p.startSector,
          size: p.sizeSectors,
          type: p.type.toString(16),
          ...(p.bootable ? { bootable: true } : {}),
        })),
      ).toEqual(expected.partitions);
    } finally {
      await disk.close();
    }
  });

  it('falls back to the backup GPT when the primary header is damaged', async () => {
    const damaged = join(dir, 'damaged.raw');
    await run('cp', [gptPath, damaged]);
    const f = await open(damaged, 'r+');
    await f.write(Buffer.from('garbage!'), 0, 8, 512 + 24); // inside the header: its CRC no longer matches
    await f.close();
    const disk = await RawImage.open(damaged);
    try {
      const table = await readGpt(disk, 'vda');
      expect(table.usedBackup).toBe(true);
      expect(table.partitions.map((p) => p.name)).toEqual([
        'root',
        'EFI system',
        'swap',
        'Données',
      ]);
    } finally {
      await disk.close();
    }
  });
});

describe('listVolumes', () => {
  it('lists GPT partitions of a qcow2 disk with Linux names, kinds and file system hints', async () => {
    const qcow2 = await convertRaw(gptPath, join(dir, 'gpt.qcow2'), 'qcow2');
    const { reader } = await openDiskImage(qcow2);
    try {
      const volumes = await listVolumes(reader, 'vda');
      expect(
        volumes.map(({ name, offset, size, partitionKind, partitionLabel, fsHint }) => ({
          name,
          offset,
          size,
          partitionKind,
          partitionLabel,
          fsHint,
        })),
      ).toEqual([
        {
          name: 'vda1',
          offset: 2048 * 512,
          size: 40960 * 512,
          partitionKind: 'linux-fs',
          partitionLabel: 'root',
          fsHint: 'ext',
        },
        {
          name: 'vda2',
          offset: 43008 * 512,
          size: 16384 * 512,
          partitionKind: 'efi-system',
          partitionLabel: 'EFI system',
          fsHint: 'fat',
        },
        {
          name: 'vda3',
          offset: 59392 * 512,
          size: 4096 * 512,
          partitionKind: 'linux-swap',
          partitionLabel: 'swap',
          fsHint: 'swap',
        },
        {
          name: 'vda4',
          offset: 71680 * 512,
          size: 16384 * 512,
          partitionKind: 'microsoft-basic-data',
          partitionLabel: 'Données',
          fsHint: 'fat',
        },
      ]);
      // The volume reader is the partition's bytes: the ext4 superblock magic sits at 1024 + 56.
      const superblock = await volumes[0]!.reader.read(1024, 1024);
      expect(Buffer.from(superblock).readUInt16LE(56)).toBe(0xef53);
    } finally {
      await reader.close();
    }
  });

  it('lists primary and logical MBR partitions, leaving out the extended container', async () => {
    const disk = await RawImage.open(dosPath);
    try {
      const volumes = await listVolumes(disk, 'sda');
      expect(volumes.map((v) => [v.name, v.partitionType, v.partitionKind, v.fsHint])).toEqual([
        ['sda1', '0x83', 'linux-fs', 'ext'],
        ['sda5', '0x0c', 'microsoft-basic-data', 'fat'],
        ['sda6', '0x82', 'linux-swap', 'swap'],
      ]);
    } finally {
      await disk.close();
    }
  });

  it('names a file system on the whole disk after the disk', async () => {
    const ext = join(dir, 'whole-ext.raw');
    const fat = join(dir, 'whole-fat.raw');
    const blank = join(dir, 'blank.raw');
    for (const p of [ext, fat, blank]) {
      await writeFile(p, '');
      await truncate(p, 16 << 20);
    }
    await run('mkfs.ext4', ['-F', '-q', ext]);
    await run('mkfs.fat', [fat]);
    for (const [path, name, fsHint] of [
      [ext, 'vdb', 'ext'],
      [fat, 'vdc', 'fat'],
      [blank, 'vdd', 'unknown'],
    ] as const) {
      const disk = await RawImage.open(path);
      try {
        const volumes = await listVolumes(disk, name);
        expect(volumes.map((v) => [v.name, v.offset, v.size, v.partitionKind, v.fsHint])).toEqual([
          [name, 0, 16 << 20, 'whole-disk', fsHint],
        ]);
      } finally {
        await disk.close();
      }
    }
  });
});

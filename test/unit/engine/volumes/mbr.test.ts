import { describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../../shared/errors';
import { listVolumes } from '../../../../src-main/engine/volumes/detect';
import { readMbr } from '../../../../src-main/engine/volumes/mbr';
import { MemoryReader } from './memory-reader';

const SECTOR = 512;

/** Writes a DOS partition entry (status, type, first LBA, sectors) into `slot` of `sector`. */
function entry(
  disk: Uint8Array,
  sectorLba: number,
  slot: number,
  type: number,
  start: number,
  size: number,
  boot = false,
): void {
  const at = sectorLba * SECTOR + 446 + slot * 16;
  const v = new DataView(disk.buffer);
  disk[at] = boot ? 0x80 : 0;
  disk[at + 4] = type;
  v.setUint32(at + 8, start, true);
  v.setUint32(at + 12, size, true);
  disk[sectorLba * SECTOR + 510] = 0x55;
  disk[sectorLba * SECTOR + 511] = 0xaa;
}

async function refusal(disk: Uint8Array): Promise<string> {
  const err: unknown = await readMbr(new MemoryReader(disk), 'vda').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HyperkeepError);
  return (err as Error).message;
}

describe('MBR', () => {
  it('numbers logical partitions from 5 along the EBR chain', async () => {
    const disk = new Uint8Array(4096 * SECTOR);
    entry(disk, 0, 0, 0x83, 2048, 1000, true);
    entry(disk, 0, 3, 0x0f, 3072, 1000);
    entry(disk, 3072, 0, 0x07, 100, 200); // logical at 3172
    entry(disk, 3072, 1, 0x05, 400, 300); // next EBR at 3472
    entry(disk, 3472, 0, 0x82, 50, 100); // logical at 3522
    const table = await readMbr(new MemoryReader(disk), 'vda');
    expect(
      table.partitions.map((p) => [p.number, p.startSector, p.sizeSectors, p.kind, p.bootable]),
    ).toEqual([
      [1, 2048, 1000, 'linux-fs', true],
      [4, 3072, 1000, 'extended', false],
      [5, 3172, 200, 'microsoft-basic-data', false],
      [6, 3522, 100, 'linux-swap', false],
    ]);
    const volumes = await listVolumes(new MemoryReader(disk), 'nvme0n1');
    expect(volumes.map((v) => v.name)).toEqual(['nvme0n1p1', 'nvme0n1p5', 'nvme0n1p6']);
  });

  it('refuses an EBR chain that loops back on itself', async () => {
    const disk = new Uint8Array(4096 * SECTOR);
    entry(disk, 0, 0, 0x05, 2048, 1000);
    entry(disk, 2048, 0, 0x83, 10, 10);
    entry(disk, 2048, 1, 0x05, 500, 10); // next EBR at 2048 + 500
    entry(disk, 2548, 0, 0x83, 10, 10);
    entry(disk, 2548, 1, 0x05, 500, 10); // …which names itself as the next one
    expect(await refusal(disk)).toMatch(
      /MBR partition table of vda: extended boot record chain loops back to sector 2548/,
    );
  });

  it('refuses partitions outside the disk, naming them', async () => {
    const disk = new Uint8Array(100 * SECTOR);
    entry(disk, 0, 1, 0x83, 50, 1000);
    expect(await refusal(disk)).toMatch(
      /partition 2 \(sectors 50\+1000\) lies outside the 100-sector disk/,
    );
  });

  it('takes a FAT boot sector for a file system on the whole disk, not for a partition table', async () => {
    const disk = new Uint8Array(1024 * SECTOR);
    disk.set([0xeb, 0x3c, 0x90], 0);
    disk.set(Buffer.from('FAT16   '), 54);
    disk[446] = 0x31; // boot code where partition entries would be
    disk[510] = 0x55;
    disk[511] = 0xaa;
    const volumes = await listVolumes(new MemoryReader(disk), 'vdb');
    expect(volumes.map((v) => [v.name, v.partitionKind, v.fsHint])).toEqual([
      ['vdb', 'whole-disk', 'fat'],
    ]);
  });
});

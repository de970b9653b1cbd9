import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { listVolumes } from '../../../../src-main/engine/volumes/detect';
import { readGpt } from '../../../../src-main/engine/volumes/gpt';
import { MemoryReader } from './memory-reader';

const LINUX = Buffer.from('af3dc60f838472478e793d69d8477de4', 'hex'); // 0FC63DAF-8483-4772-8E79-3D69D8477DE4 on disk

/** A GPT laid out per UEFI 2.10 §5.3 with primary and backup copies, for any sector size. */
function gptDisk(
  sectorSize: number,
  sectors: number,
  parts: { first: number; last: number; name: string }[],
): Uint8Array {
  const disk = Buffer.alloc(sectorSize * sectors);
  const entries = Buffer.alloc(128 * 128);
  parts.forEach((p, i) => {
    const e = entries.subarray(i * 128, (i + 1) * 128);
    LINUX.copy(e, 0);
    e.fill(i + 1, 16, 32);
    e.writeBigUInt64LE(BigInt(p.first), 32);
    e.writeBigUInt64LE(BigInt(p.last), 40);
    Buffer.from(p.name, 'utf16le').copy(e, 56);
  });
  const entrySectors = Math.ceil(entries.length / sectorSize);
  const header = (myLba: number, altLba: number, entriesLba: number): Buffer => {
    const h = Buffer.alloc(92);
    h.write('EFI PART', 0, 'latin1');
    h.writeUInt32LE(0x10000, 8);
    h.writeUInt32LE(92, 12);
    h.writeBigUInt64LE(BigInt(myLba), 24);
    h.writeBigUInt64LE(BigInt(altLba), 32);
    h.writeBigUInt64LE(BigInt(2 + entrySectors), 40);
    h.writeBigUInt64LE(BigInt(sectors - 2 - entrySectors), 48);
    h.fill(0xdd, 56, 72);
    h.writeBigUInt64LE(BigInt(entriesLba), 72);
    h.writeUInt32LE(128, 80);
    h.writeUInt32LE(128, 84);
    h.writeUInt32LE(crc32(entries), 88);
    h.writeUInt32LE(crc32(h), 16);
    return h;
  };
  const last = sectors - 1;
  disk[510] = 0x55;
  disk[511] = 0xaa;
  disk[446 + 4] = 0xee; // protective MBR
  header(1, last, 2).copy(disk, sectorSize);
  entries.copy(disk, 2 * sectorSize);
  entries.copy(disk, (last - entrySectors) * sectorSize);
  header(last, 1, last - entrySectors).copy(disk, last * sectorSize);
  return disk;
}

describe('GPT', () => {
  it('reads disks with 4096-byte sectors (4Kn VHDX and physical disks)', async () => {
    const disk = gptDisk(4096, 2048, [{ first: 256, last: 1279, name: 'four-k' }]);
    const volumes = await listVolumes(new MemoryReader(disk), 'sda');
    expect(
      volumes.map((v) => [v.name, v.offset, v.size, v.partitionLabel, v.partitionKind]),
    ).toEqual([['sda1', 256 * 4096, 1024 * 4096, 'four-k', 'linux-fs']]);
  });

  it('uses the backup copy when the primary partition entries fail their CRC', async () => {
    const disk = gptDisk(512, 4096, [
      { first: 2048, last: 3071, name: 'a' },
      { first: 3072, last: 4000, name: 'b' },
    ]);
    disk[2 * 512 + 60] = 0x41; // inside entry 1's name
    const table = await readGpt(new MemoryReader(disk), 'vda');
    expect(table.usedBackup).toBe(true);
    expect(table.partitions.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('explains why when neither copy is usable', async () => {
    const disk = gptDisk(512, 4096, [{ first: 2048, last: 3071, name: 'a' }]);
    disk[512 + 40] = disk[512 + 40]! ^ 0xff;
    disk[4095 * 512 + 40] = disk[4095 * 512 + 40]! ^ 0xff;
    await expect(readGpt(new MemoryReader(disk), 'vda')).rejects.toThrow(
      'GPT of vda: neither GPT copy is usable (primary header: header CRC mismatch; backup header: header CRC mismatch)',
    );
  });

  it('refuses a partition that ends past the disk', async () => {
    const disk = gptDisk(512, 4096, [{ first: 2048, last: 9999, name: 'big' }]);
    await expect(readGpt(new MemoryReader(disk), 'vda')).rejects.toThrow(
      /partition 1 \(LBA 2048\.\.9999\) lies outside the disk/,
    );
  });
});

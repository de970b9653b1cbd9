import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../../../src-main/engine/formats/binary';
import { parseInode } from '../../../../../src-main/engine/filesystems/xfs/inode';
import {
  inodeOffset,
  linearBlock,
  parseSuperblock,
} from '../../../../../src-main/engine/filesystems/xfs/superblock';

const VOLUME = 2000 * 4096;

/** A v5 superblock: 2 AGs of 1000 4 KiB blocks, 512-byte inodes, ftype and bigtime. */
function superblock(edit: (v: DataView) => void = () => undefined): Uint8Array {
  const bytes = new Uint8Array(512);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, 0x58465342);
  v.setUint32(4, 4096);
  v.setBigUint64(8, 2000n);
  v.setBigUint64(56, 128n);
  v.setUint32(84, 1000);
  v.setUint32(88, 2);
  v.setUint16(100, 0xb4a5);
  v.setUint16(102, 512);
  v.setUint16(104, 512);
  v.setUint16(106, 8);
  bytes.set([12, 9, 9, 3, 10], 120); // blocklog, sectlog, inodelog, inopblog, agblklog
  v.setUint32(216, 0x1 | 0x8);
  edit(v);
  return bytes;
}

describe('XFS superblock', () => {
  it('reads the geometry and features of a v5 file system', () => {
    expect(parseSuperblock(superblock(), VOLUME)).toMatchObject({
      version: 5,
      blockSize: 4096,
      dataBlocks: 2000,
      agBlocks: 1000,
      agCount: 2,
      agBlockLog: 10,
      inodeSize: 512,
      inodesPerBlockLog: 3,
      dirBlockSize: 4096,
      rootIno: 128,
      hasFtype: true,
      hasBigtime: true,
      hasNrext64: false,
    });
  });

  it.each([
    [(v: DataView) => v.setUint32(0, 0x58465343), /has magic 0x58465343 instead of XFSB/],
    [(v: DataView) => v.setUint32(216, 0x1 | 0x10), /is marked as needing repair/],
    [(v: DataView) => v.setUint32(216, 0x1 | 0x100), /uses the metadata directory tree/],
    [(v: DataView) => v.setUint32(216, 0x1 | 0x4000), /incompatible features .* \(0x4000\)/],
    [(v: DataView) => v.setUint16(100, 0x0004), /uses version 1 directories/],
    [(v: DataView) => v.setUint32(4, 3000), /impossible block size \(3000 bytes/],
    [(v: DataView) => v.setUint16(106, 4), /impossible inode geometry/],
    [(v: DataView) => v.setUint32(84, 5000), /impossible allocation groups/],
    [(v: DataView) => v.setBigUint64(8, 900n), /counts 900 blocks for 2 groups of 1000/],
    [(v: DataView) => v.setUint8(192, 5), /131072-byte directory blocks/],
  ])('refuses a broken or unsupported superblock (%#)', (edit, message) => {
    expect(() => parseSuperblock(superblock(edit), VOLUME)).toThrow(message);
    expect(() => parseSuperblock(superblock(edit), VOLUME)).toThrow(/^XFS: superblock /);
  });

  it('refuses a volume shorter than the file system', () => {
    expect(() => parseSuperblock(superblock(), VOLUME - 1)).toThrow(
      /describes 8192000 bytes but the volume holds only 8191999/,
    );
  });

  it('locates inodes and blocks from their AG-relative numbers', () => {
    const sb = parseSuperblock(superblock(), VOLUME);
    // inode = AG << (agblklog + inopblog) | AG block << inopblog | slot
    expect(inodeOffset(sb, 128, 'root')).toBe(16 * 4096);
    expect(inodeOffset(sb, (1 << 13) | (7 << 3) | 5, 'x')).toBe((1000 + 7) * 4096 + 5 * 512);
    expect(() => inodeOffset(sb, 2 << 13, 'entry /a')).toThrow(
      /^XFS: entry \/a points at inode 16384, outside the file system$/,
    );
    expect(() => inodeOffset(sb, (1000 << 3) | 1, 'x')).toThrow(/outside the file system/);
    expect(linearBlock(sb, (1 << 10) | 999, 1, 'x')).toBe(1999);
    expect(() => linearBlock(sb, (1 << 10) | 999, 2, 'x')).toThrow(/outside the file system/);
  });
});

/** A v3 inode core with a valid checksum; `edit` runs before the checksum is computed. */
function inode(number: number, edit: (v: DataView) => void = () => undefined): Uint8Array {
  const bytes = new Uint8Array(512);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, 0x494e);
  v.setUint16(2, 0o100644);
  v.setUint8(4, 3);
  v.setUint8(5, 2);
  v.setUint32(16, 1);
  v.setBigUint64(152, BigInt(number));
  edit(v);
  v.setUint32(100, crc32c(bytes), true);
  return bytes;
}

describe('XFS inode', () => {
  const sb = parseSuperblock(superblock(), VOLUME);

  it('decodes bigtime timestamps (nanoseconds since 1901) and plain 32-bit ones', () => {
    const at = new Date('2200-01-02T03:04:05.678Z');
    const ns = (BigInt(at.getTime()) / 1000n + 2n ** 31n) * 1_000_000_000n + 678_000_000n;
    const big = parseInode(
      inode(131, (v) => {
        v.setBigUint64(120, 0x8n); // di_flags2: bigtime
        v.setBigUint64(40, ns);
      }),
      131,
      sb,
    );
    expect(big.mtime).toEqual(at);
    const old = parseInode(
      inode(131, (v) => {
        v.setInt32(40, -86400); // 1969-12-31
        v.setUint32(44, 500_000_000);
      }),
      131,
      sb,
    );
    expect(old.mtime).toEqual(new Date(-86400 * 1000 + 500));
  });

  it('refuses an inode with a bad checksum, another number or no magic', () => {
    const bytes = inode(131);
    bytes[300] = bytes[300]! ^ 1;
    expect(() => parseInode(bytes, 131, sb)).toThrow(/^XFS: inode 131 fails its checksum/);
    expect(() => parseInode(inode(132), 131, sb)).toThrow(/^XFS: inode 131 says it is inode 132$/);
    expect(() => parseInode(new Uint8Array(512), 131, sb)).toThrow(/has no inode magic/);
    expect(() =>
      parseInode(
        inode(131, (v) => v.setUint8(82, 60)),
        131,
        sb,
      ),
    ).toThrow(/has its attribute fork at byte 656, past its end/);
  });
});

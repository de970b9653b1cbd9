import { describe, expect, it } from 'vitest';
import { parseInode } from '../../../../../src-main/engine/filesystems/ext/inode';
import type { ExtSuperblock } from '../../../../../src-main/engine/filesystems/ext/superblock';

const sb = { inodeSize: 256, blockSize: 4096, featureRoCompat: 0 } as ExtSuperblock;

function inodeBytes(fill: (v: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(256);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, 0o100644, true);
  v.setUint16(128, 32, true); // i_extra_isize: all extra fields present
  fill(v);
  return bytes;
}

describe('ext inode parsing', () => {
  it('decodes nanoseconds and the epoch bits that carry times past 2038', () => {
    const bytes = inodeBytes((v) => {
      v.setInt32(16, 0x7fffffff, true); // mtime low 32 bits…
      v.setUint32(136, (500_000_000 << 2) | 1, true); // …+ 2^32 s, + 0.5 s
      v.setInt32(8, -1, true); // atime: one second before 1970
      v.setInt32(144, 1_600_000_000, true); // crtime
      v.setUint32(148, 123_000_000 << 2, true);
    });
    const inode = parseInode(bytes, 12, sb);
    expect(inode.mtime.getTime()).toBe((0x7fffffff + 2 ** 32) * 1000 + 500);
    expect(inode.mtime.getUTCFullYear()).toBe(2174);
    expect(inode.atime.toISOString()).toBe('1969-12-31T23:59:59.000Z');
    expect(inode.crtime?.toISOString()).toBe('2020-09-13T12:26:40.123Z');
  });

  it('joins the high halves of uid, gid and size', () => {
    const bytes = inodeBytes((v) => {
      v.setUint16(2, 0x0001, true);
      v.setUint16(120, 0x0002, true);
      v.setUint16(24, 0x0003, true);
      v.setUint16(122, 0x8000, true);
      v.setUint32(4, 5, true);
      v.setUint32(108, 1, true);
    });
    const inode = parseInode(bytes, 12, sb);
    expect(inode.uid).toBe(0x20001);
    expect(inode.gid).toBe(0x80000003);
    expect(inode.size).toBe(2 ** 32 + 5);
  });

  it('has no birth time in 128-byte inodes and rejects an oversized extra area', () => {
    const small = parseInode(new Uint8Array(128), 3, { ...sb, inodeSize: 128 });
    expect(small.crtime).toBeUndefined();
    const bad = inodeBytes((v) => v.setUint16(128, 200, true));
    expect(() => parseInode(bad, 9, sb)).toThrow(
      /^ext: inode 9 has i_extra_isize 200 past its 256 bytes/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  mapBtree,
  mapExtentList,
  runsToExtents,
  type BmapSource,
} from '../../../../../src-main/engine/filesystems/xfs/bmap';
import type { XfsSuperblock } from '../../../../../src-main/engine/filesystems/xfs/superblock';

const BS = 4096;
/** Two AGs of 1000 blocks; AG block numbers take 10 bits (2^10 ≥ 1000). */
const SB: XfsSuperblock = {
  version: 5,
  blockSize: BS,
  blockLog: 12,
  dataBlocks: 2000,
  realtimeBlocks: 0,
  uuid: '',
  label: '',
  rootIno: 128,
  agBlocks: 1000,
  agCount: 2,
  agBlockLog: 10,
  inodeSize: 512,
  inodesPerBlockLog: 3,
  dirBlockSize: BS,
  hasFtype: true,
  hasBigtime: true,
  hasNrext64: false,
  inodesInUse: 0,
};
const fsb = (agno: number, agbno: number) => agno * 1024 + agbno;

/** One packed 128-bit bmbt record, as the kernel writes it. */
function record(startoff: number, startblock: number, count: number, unwritten = false) {
  const l0 =
    (BigInt(unwritten ? 1 : 0) << 63n) | (BigInt(startoff) << 9n) | (BigInt(startblock) >> 43n);
  const l1 = ((BigInt(startblock) & ((1n << 43n) - 1n)) << 21n) | BigInt(count);
  const bytes = new Uint8Array(16);
  const v = new DataView(bytes.buffer);
  v.setBigUint64(0, l0);
  v.setBigUint64(8, l1);
  return bytes;
}

function concat(parts: Uint8Array[], size?: number): Uint8Array {
  const out = new Uint8Array(size ?? parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A v5 long-format bmbt block ('BMA3') at linear block `self` holding `records` (a leaf). */
function leafBlock(self: number, records: Uint8Array[], level = 0, magic = 0x424d4133) {
  const bytes = new Uint8Array(BS);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, magic);
  v.setUint16(4, level);
  v.setUint16(6, records.length);
  v.setBigUint64(24, BigInt(self * (BS / 512)));
  bytes.set(concat(records), 72);
  return bytes;
}

/** The btree root kept in the inode: level, count, keys, then pointers after maxrecs keys. */
function root(level: number, children: { key: number; ptr: number }[], forkSize = 336) {
  const bytes = new Uint8Array(forkSize);
  const v = new DataView(bytes.buffer);
  const maxrecs = Math.floor((forkSize - 4) / 16);
  v.setUint16(0, level);
  v.setUint16(2, children.length);
  children.forEach((c, i) => {
    v.setBigUint64(4 + i * 8, BigInt(c.key));
    v.setBigUint64(4 + maxrecs * 8 + i * 8, BigInt(c.ptr));
  });
  return bytes;
}

function source(blocks: Map<number, Uint8Array>): BmapSource {
  return { sb: SB, readBlock: async (n) => blocks.get(n) ?? new Uint8Array(BS) };
}

describe('XFS extent maps', () => {
  it('unpacks records: AG-relative start blocks become linear, the top bit means unwritten', () => {
    const fork = concat([record(0, fsb(0, 50), 4), record(10, fsb(1, 7), 3, true)], 336);
    expect(mapExtentList(fork, 2, SB, 'inode 131')).toEqual([
      { logical: 0, physical: 50, count: 4, unwritten: false },
      { logical: 10, physical: 1007, count: 3, unwritten: true },
    ]);
    // 17 blocks of file: data, hole, unwritten (zeros), and the tail past the last extent.
    const runs = mapExtentList(fork, 2, SB, 'inode 131');
    expect(runsToExtents(runs, BS, 17 * BS - 100)).toEqual([
      { kind: 'data', fileOffset: 0, length: 4 * BS, volumeOffset: 50 * BS },
      { kind: 'hole', fileOffset: 4 * BS, length: 13 * BS - 100 },
    ]);
  });

  it('refuses records pointing outside their AG or the volume, or out of order', () => {
    const past = concat([record(0, fsb(0, 998), 5)], 336);
    expect(() => mapExtentList(past, 1, SB, 'inode 131')).toThrow(
      /^XFS: inode 131 extent list extent 0 points at blocks 0\/998\.\.\+5 outside the file system/,
    );
    const noAg = concat([record(0, fsb(2, 0), 1)], 336);
    expect(() => mapExtentList(noAg, 1, SB, 'inode 131')).toThrow(/outside the file system/);
    const unordered = concat([record(5, fsb(0, 50), 4), record(2, fsb(0, 90), 1)], 336);
    expect(() => mapExtentList(unordered, 2, SB, 'inode 131')).toThrow(
      /has overlapping or unordered extents at file block 2/,
    );
    expect(() => mapExtentList(new Uint8Array(336), 22, SB, 'inode 131')).toThrow(
      /claims 22 extents but its fork holds 336 bytes/,
    );
  });

  it('walks a btree: the root in the inode, then leaf blocks in order', async () => {
    const blocks = new Map([
      [300, leafBlock(300, [record(0, fsb(0, 10), 2), record(4, fsb(0, 20), 2)])],
      [1200, leafBlock(1200, [record(100, fsb(1, 500), 8)])],
    ]);
    const fork = root(1, [
      { key: 0, ptr: fsb(0, 300) },
      { key: 100, ptr: fsb(1, 200) },
    ]);
    expect(await mapBtree(source(blocks), fork, 'inode 140')).toEqual([
      { logical: 0, physical: 10, count: 2, unwritten: false },
      { logical: 4, physical: 20, count: 2, unwritten: false },
      { logical: 100, physical: 1500, count: 8, unwritten: false },
    ]);
  });

  it('refuses broken btree blocks with the structure named', async () => {
    const fork = root(1, [{ key: 0, ptr: fsb(0, 300) }]);
    const bad = (block: Uint8Array) => mapBtree(source(new Map([[300, block]])), fork, 'inode 140');
    await expect(bad(leafBlock(300, [record(0, 10, 1)], 0, 0x12345678))).rejects.toThrow(
      /^XFS: inode 140 bmbt block 300 has magic 0x12345678 instead of a bmbt block's$/,
    );
    await expect(bad(leafBlock(300, [record(0, 10, 1)], 1))).rejects.toThrow(
      /is at level 1 instead of 0/,
    );
    await expect(bad(leafBlock(301, [record(0, 10, 1)]))).rejects.toThrow(
      /does not name its own location/,
    );
    await expect(bad(leafBlock(300, []))).rejects.toThrow(/claims 0 of 251 entries/);
    await expect(
      mapBtree(source(new Map()), root(11, [{ key: 0, ptr: 1 }]), 'inode 140'),
    ).rejects.toThrow(/has btree level 11 \(1\.\.10\)/);
  });

  it('cannot loop: a node pointing at itself is at the wrong level', async () => {
    const node = new Uint8Array(BS);
    const v = new DataView(node.buffer);
    v.setUint32(0, 0x424d4133);
    v.setUint16(4, 1);
    v.setUint16(6, 1);
    v.setBigUint64(24, BigInt(300 * 8));
    v.setBigUint64(72 + Math.floor((BS - 72) / 16) * 8, BigInt(fsb(0, 300)));
    const fork = root(2, [{ key: 0, ptr: fsb(0, 300) }]);
    await expect(mapBtree(source(new Map([[300, node]])), fork, 'inode 140')).rejects.toThrow(
      /is at level 1 instead of 0/,
    );
  });
});

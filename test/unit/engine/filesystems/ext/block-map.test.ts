import { describe, expect, it } from 'vitest';
import {
  mapExtentTree,
  mapIndirect,
  runsToExtents,
  type BlockSource,
} from '../../../../../src-main/engine/filesystems/ext/block-map';

const BS = 1024;

/** A volume of numbered 1 KiB blocks held in memory. */
function source(blocks: Map<number, Uint8Array>, blocksCount = 10_000): BlockSource {
  return {
    blockSize: BS,
    blocksCount,
    readBlock: async (n) => blocks.get(n) ?? new Uint8Array(BS),
  };
}

function pointers(values: number[], size = BS): Uint8Array {
  const bytes = new Uint8Array(size);
  const v = new DataView(bytes.buffer);
  values.forEach((p, i) => v.setUint32(i * 4, p, true));
  return bytes;
}

/** An extent node: header then 12-byte entries (leaf: block, len, start; index: block, child). */
function extentNode(depth: number, entries: number[][], size = 60): Uint8Array {
  const bytes = new Uint8Array(size);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, 0xf30a, true);
  v.setUint16(2, entries.length, true);
  v.setUint16(4, (size - 12) / 12, true);
  v.setUint16(6, depth, true);
  entries.forEach((e, i) => {
    const at = 12 + i * 12;
    v.setUint32(at, e[0]!, true);
    if (depth === 0) {
      v.setUint16(at + 4, e[1]!, true);
      v.setUint32(at + 8, e[2]!, true);
    } else {
      v.setUint32(at + 4, e[1]!, true);
    }
  });
  return bytes;
}

describe('ext block maps', () => {
  it('follows direct, single and double indirect pointers, leaving zero pointers as holes', async () => {
    const iblock = pointers([500, 501, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 600, 700, 0], 60);
    const blocks = new Map([
      [600, pointers([601, 602])], // logical 12, 13
      [700, pointers([0, 800])], // second single-indirect block under the double
      [800, pointers([900])], // logical 12 + 256 + 256
    ]);
    const runs = await mapIndirect(source(blocks), iblock, 12, 12 + 256 + 512 + 1);
    expect(runs).toEqual([
      { logical: 0, physical: 500, count: 2, unwritten: false },
      { logical: 12, physical: 601, count: 2, unwritten: false },
      { logical: 524, physical: 900, count: 1, unwritten: false },
    ]);
  });

  it('walks an extent tree with an index level and keeps unwritten extents apart', async () => {
    const root = extentNode(1, [[0, 300]]);
    const leaf = extentNode(
      0,
      [
        [0, 4, 1000],
        [10, 32768 + 2, 2000],
      ],
      BS,
    );
    const runs = await mapExtentTree(source(new Map([[300, leaf]])), root, 12, 100);
    expect(runs).toEqual([
      { logical: 0, physical: 1000, count: 4, unwritten: false },
      { logical: 10, physical: 2000, count: 2, unwritten: true },
    ]);
    expect(runsToExtents(runs, BS, 20 * BS)).toEqual([
      { kind: 'data', fileOffset: 0, length: 4 * BS, volumeOffset: 1000 * BS },
      { kind: 'hole', fileOffset: 4 * BS, length: 16 * BS },
    ]);
  });

  it('rejects trees that lie about their depth, overlap, or point outside the volume', async () => {
    const loop = extentNode(1, [[0, 300]]);
    const self = extentNode(1, [[0, 300]], BS); // a node pointing at itself, claiming depth 1 again
    await expect(mapExtentTree(source(new Map([[300, self]])), loop, 7, 10)).rejects.toThrow(
      /depth 1 \(expected 0\)/,
    );
    const overlap = extentNode(0, [
      [0, 4, 1000],
      [2, 4, 2000],
    ]);
    await expect(mapExtentTree(source(new Map()), overlap, 7, 10)).rejects.toThrow(
      /overlapping or unordered extents/,
    );
    const outside = extentNode(0, [[0, 4, 9998]]);
    await expect(mapExtentTree(source(new Map()), outside, 7, 10)).rejects.toThrow(
      /^ext: inode 7 extent root points at blocks 9998\.\.10002 outside the file system/,
    );
    await expect(mapExtentTree(source(new Map()), new Uint8Array(60), 7, 10)).rejects.toThrow(
      /no extent header/,
    );
  });
});

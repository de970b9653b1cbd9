import { describe, expect, it } from 'vitest';
import { attributeExtents } from '../../../../../src-main/engine/filesystems/ntfs/attribute-extents';
import type { Attribute } from '../../../../../src-main/engine/filesystems/ntfs/mft-record';
import type { Run } from '../../../../../src-main/engine/filesystems/ntfs/runlist';

const CLUSTER = 4096;

function attribute(runs: Run[], dataSize: number, extra: Partial<Attribute> = {}): Attribute {
  return {
    type: 0x80,
    name: '',
    flags: 0,
    lowestVcn: runs[0]?.vcn ?? 0,
    runs,
    compressionUnit: 0,
    allocatedSize: dataSize,
    dataSize,
    initializedSize: dataSize,
    record: 64,
    ...extra,
  };
}

describe('NTFS attribute extents', () => {
  it('maps runs to data and sparse runs to holes, clipped to the data size', () => {
    const extents = attributeExtents(
      [
        attribute(
          [
            { vcn: 0, lcn: 100, length: 2 },
            { vcn: 2, lcn: null, length: 3 },
            { vcn: 5, lcn: 7, length: 1 },
          ],
          5 * CLUSTER + 10,
        ),
      ],
      CLUSTER,
      'test',
    );
    expect(extents).toEqual([
      { kind: 'data', fileOffset: 0, length: 2 * CLUSTER, volumeOffset: 100 * CLUSTER },
      { kind: 'hole', fileOffset: 2 * CLUSTER, length: 3 * CLUSTER },
      { kind: 'data', fileOffset: 5 * CLUSTER, length: 10, volumeOffset: 7 * CLUSTER },
    ]);
  });

  it('reads zeros past the initialized (valid data) size', () => {
    const extents = attributeExtents(
      [attribute([{ vcn: 0, lcn: 10, length: 4 }], 4 * CLUSTER, { initializedSize: CLUSTER + 5 })],
      CLUSTER,
      'test',
    );
    expect(extents).toEqual([
      { kind: 'data', fileOffset: 0, length: CLUSTER + 5, volumeOffset: 10 * CLUSTER },
      { kind: 'hole', fileOffset: CLUSTER + 5, length: 3 * CLUSTER - 5 },
    ]);
  });

  it('joins segments split over extension records, in VCN order', () => {
    const tail = attribute([{ vcn: 2, lcn: 50, length: 2 }], 0);
    const head = attribute([{ vcn: 0, lcn: 10, length: 2 }], 4 * CLUSTER);
    expect(
      attributeExtents([head, tail], CLUSTER, 'test').map(
        (e) => e.kind === 'data' && e.volumeOffset,
      ),
    ).toEqual([10 * CLUSTER, 50 * CLUSTER]);
    const gap = attribute([{ vcn: 3, lcn: 50, length: 1 }], 0);
    expect(() => attributeExtents([head, gap], CLUSTER, 'test')).toThrow(
      /segment starting at VCN 3, expected 2/,
    );
  });

  it('splits compressed attributes into plain, LZNT1 and all-sparse units of 16 clusters', () => {
    const runs: Run[] = [
      { vcn: 0, lcn: 1000, length: 16 }, // unit 0: stored plain
      { vcn: 16, lcn: 2000, length: 3 }, // unit 1: 3 clusters of compressed data…
      { vcn: 19, lcn: 3000, length: 2 }, // …in two pieces…
      { vcn: 21, lcn: null, length: 11 }, // …then the sparse tail of the unit
      { vcn: 32, lcn: null, length: 32 }, // units 2-3: zeros
      { vcn: 64, lcn: 4000, length: 1 }, // unit 4: the last, partial unit, compressed
      { vcn: 65, lcn: null, length: 15 },
    ];
    const size = 64 * CLUSTER + 100;
    const extents = attributeExtents(
      [attribute(runs, size, { flags: 0x1, compressionUnit: 4 })],
      CLUSTER,
      'test',
    );
    expect(extents).toEqual([
      { kind: 'data', fileOffset: 0, length: 16 * CLUSTER, volumeOffset: 1000 * CLUSTER },
      {
        kind: 'lznt1',
        fileOffset: 16 * CLUSTER,
        length: 16 * CLUSTER,
        runs: [
          { volumeOffset: 2000 * CLUSTER, length: 3 * CLUSTER },
          { volumeOffset: 3000 * CLUSTER, length: 2 * CLUSTER },
        ],
      },
      { kind: 'hole', fileOffset: 32 * CLUSTER, length: 32 * CLUSTER },
      {
        kind: 'lznt1',
        fileOffset: 64 * CLUSTER,
        length: 100,
        runs: [{ volumeOffset: 4000 * CLUSTER, length: CLUSTER }],
      },
    ]);
  });

  it('keeps resident values inline', () => {
    const value = Uint8Array.from([1, 2, 3]);
    expect(attributeExtents([{ ...attribute([], 3), value }], CLUSTER, 'test')).toEqual([
      { kind: 'inline', fileOffset: 0, length: 3, data: value },
    ]);
  });
});

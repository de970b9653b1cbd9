import { describe, expect, it } from 'vitest';
import {
  readFromExtents,
  streamFromExtents,
} from '../../../../src-main/engine/filesystems/extent-read';
import type { FileExtent } from '../../../../src-main/engine/filesystems/filesystem';

const volume = {
  read: async (offset: number, length: number) =>
    Uint8Array.from({ length }, (_, i) => (offset + i) & 0xff),
};

const extents: FileExtent[] = [
  { kind: 'data', fileOffset: 0, length: 4, volumeOffset: 100 },
  { kind: 'hole', fileOffset: 4, length: 3 },
  { kind: 'inline', fileOffset: 7, length: 2, data: Uint8Array.from([0xaa, 0xbb]) },
  { kind: 'data', fileOffset: 9, length: 3, volumeOffset: 200 },
];

describe('reading a file from its extents alone', () => {
  it('assembles data, holes and inline bytes at any offset', async () => {
    expect([...(await readFromExtents(volume, extents, 0, 12))]).toEqual([
      100, 101, 102, 103, 0, 0, 0, 0xaa, 0xbb, 200, 201, 202,
    ]);
    expect([...(await readFromExtents(volume, extents, 3, 5))]).toEqual([103, 0, 0, 0, 0xaa]);
    expect([...(await readFromExtents(volume, extents, 10, 2))]).toEqual([201, 202]);
  });

  it('streams in bounded chunks', async () => {
    const chunks: number[] = [];
    for await (const c of streamFromExtents(volume, extents, 12, 5)) chunks.push(c.length);
    expect(chunks).toEqual([5, 5, 2]);
  });
});

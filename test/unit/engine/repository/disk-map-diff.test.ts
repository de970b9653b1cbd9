import { describe, expect, it } from 'vitest';
import {
  differingRanges,
  type DiskMap,
  type DiskRun,
} from '../../../../src-main/engine/repository/disk-map';

const run = (offset: number, length: number, chunk: string, chunkOffset = 0): DiskRun => ({
  offset,
  length,
  chunk: chunk.repeat(64),
  chunkOffset,
});
const map = (runs: DiskRun[], sizeBytes = 1000): DiskMap => ({ sizeBytes, runs, allocated: [] });

describe('differingRanges (what an incremental catalog compares)', () => {
  it('finds nothing between a map and itself, holes included', () => {
    const m = map([run(0, 100, 'a'), run(300, 200, 'b', 50)]);
    expect(differingRanges(m, m)).toEqual([]);
  });

  it('finds a chunk replaced, a run that became a hole and a hole that got data', () => {
    const before = map([run(0, 100, 'a'), run(100, 100, 'b'), run(200, 100, 'c')]);
    const after = map([run(0, 100, 'a'), run(100, 100, 'x'), run(400, 100, 'd')]);
    expect(differingRanges(before, after)).toEqual([
      { offset: 100, length: 200 },
      { offset: 400, length: 100 },
    ]);
  });

  it('compares bytes, not run boundaries: the same chunk bytes split differently are equal', () => {
    const before = map([run(0, 200, 'a')]);
    const after = map([run(0, 80, 'a'), run(80, 120, 'a', 80)]);
    expect(differingRanges(before, after)).toEqual([]);
    // The same chunk but shifted by one byte is other bytes.
    const shifted = map([run(0, 80, 'a'), run(80, 120, 'a', 81)]);
    expect(differingRanges(before, shifted)).toEqual([{ offset: 80, length: 120 }]);
  });

  it('counts a grown disk tail as changed', () => {
    expect(differingRanges(map([], 1000), map([], 1500))).toEqual([{ offset: 1000, length: 500 }]);
  });
});

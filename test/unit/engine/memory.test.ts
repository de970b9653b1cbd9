import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { releaseMemory, withSmallYoungGeneration } from '../../../src-main/engine/memory';

const newSpaceBytes = (): number =>
  getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

/** A walk's pattern: many objects that live for a while, so V8 would grow its young generation. */
function churn(): number {
  const live: { path: string; size: number }[][] = [];
  for (let round = 0; round < 40; round++) {
    live.push(Array.from({ length: 20_000 }, (_, i) => ({ path: `/dir${round}/f${i}`, size: i })));
    if (live.length > 8) live.shift();
  }
  return live.length;
}

describe('withSmallYoungGeneration', () => {
  // First in the file: the process's young generation still has its starting size.
  it('keeps the young generation from growing during the phase', async () => {
    const before = newSpaceBytes();
    expect(await withSmallYoungGeneration(async () => churn())).toBe(8);
    expect(newSpaceBytes()).toBeLessThanOrEqual(before);
  });
});

describe('releaseMemory', () => {
  it('returns the heap an allocation-heavy phase grew, without losing live objects', () => {
    const kept = { marker: 'still here', list: Array.from({ length: 1000 }, (_, i) => ({ i })) };
    // Like a walk: many objects live for a while, so V8 grows its heap to hold them.
    let live: { path: string; size: number }[][] = [];
    for (let round = 0; round < 40; round++) {
      live.push(
        Array.from({ length: 20_000 }, (_, i) => ({ path: `/dir${round}/f${i}`, size: i })),
      );
      if (live.length > 8) live.shift();
    }
    live = [];
    const grown = process.memoryUsage().heapTotal;
    releaseMemory();
    const after = process.memoryUsage().heapTotal;
    expect(grown).toBeGreaterThan(60 * 2 ** 20);
    expect(after).toBeLessThan(grown / 2);
    expect(kept.marker).toBe('still here');
    expect(kept.list[999]).toEqual({ i: 999 });
    expect(live).toHaveLength(0);
  });
});

import { describe, expect, it } from 'vitest';
import { releaseMemory } from '../../../src-main/engine/memory';

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

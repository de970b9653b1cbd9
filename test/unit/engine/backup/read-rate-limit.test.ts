import { describe, expect, it } from 'vitest';
import { ReadRateLimit } from '../../../../src-main/engine/backup/read-rate-limit';

const KiB = 1024;

describe('ReadRateLimit', () => {
  it('spaces reads booked at once by their length at the rate, the first without waiting', async () => {
    const limit = new ReadRateLimit(1024 * KiB);
    const signal = new AbortController().signal;
    const began = performance.now();
    const first = limit.take(256 * KiB, signal);
    await first;
    expect(performance.now() - began).toBeLessThan(50);
    await Promise.all([1, 2, 3].map(() => limit.take(256 * KiB, signal)));
    // Four quarters of the per-second rate: the last may start 0.75 s after the first.
    expect(performance.now() - began).toBeGreaterThanOrEqual(740);
  });

  it('earns no credit while idle', async () => {
    const limit = new ReadRateLimit(1024 * KiB);
    const signal = new AbortController().signal;
    await limit.take(64 * KiB, signal);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const began = performance.now();
    await limit.take(512 * KiB, signal);
    await limit.take(512 * KiB, signal);
    expect(performance.now() - began).toBeGreaterThanOrEqual(490);
  });

  it('stops waiting when the job is cancelled', async () => {
    const limit = new ReadRateLimit(KiB);
    const abort = new AbortController();
    await limit.take(10 * KiB, abort.signal);
    const waiting = limit.take(KiB, abort.signal);
    abort.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow();
  });
});

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { releaseBuffer } from '../../../../src-main/engine/io/release-buffer';
import { DataWorkerPool } from '../../../../src-main/engine/repository/data-worker-pool';
import {
  DEFAULT_CHUNKER_PARAMS,
  cdcCutParams,
  cutAll,
  gearTableFromSeed,
} from '../../../../src-main/engine/repository/fastcdc';
import { chunkId } from '../../../../src-main/engine/repository/keys';
import {
  openSealed,
  unpackPayload,
  type SealParams,
} from '../../../../src-main/engine/repository/sealing';

const SMALL = { minSize: 2 * 1024, avgSize: 8 * 1024, maxSize: 32 * 1024 };

/** 256 KiB of random data, 64 KiB of zeros, then text: chunks of every kind. */
function segmentData(): Uint8Array {
  return Buffer.concat([
    randomBytes(256 * 1024),
    Buffer.alloc(64 * 1024),
    Buffer.from('All work and no play makes Jack a dull boy. '.repeat(3000)),
  ]);
}

describe.each([0, 2])('DataWorkerPool with %i workers', (workers) => {
  const seal: SealParams = { encrypt: true, key: randomBytes(32), level: 3 };
  const idKey = randomBytes(32);
  const cdc = cdcCutParams(gearTableFromSeed(randomBytes(32)), SMALL);

  it('cuts, hashes and seals a segment exactly as the calling thread would', async () => {
    const pool = new DataWorkerPool({ seal, idKey, cdc }, workers);
    try {
      const data = segmentData();
      const expected = cutAll(cdc, data);
      const segment = await pool.chunkSegment(Uint8Array.from(data));
      expect(segment.lengths).toEqual(expected);
      let at = 0;
      const picks: number[] = [];
      for (const [i, len] of expected.entries()) {
        const chunk = data.subarray(at, at + len);
        const id = segment.ids[i];
        if (chunk.every((b) => b === 0)) expect(id).toBeNull();
        else {
          expect(Buffer.from(id!).equals(chunkId(Buffer.from(idKey), chunk))).toBe(true);
          picks.push(i);
        }
        at += len;
      }
      // Seal every other data chunk: each opens under its id and gives the chunk back.
      const chosen = picks.filter((_, k) => k % 2 === 0);
      const sealed = await pool.sealHeld(segment, chosen);
      expect(sealed).toHaveLength(chosen.length);
      for (const [k, i] of chosen.entries()) {
        const start = expected.slice(0, i).reduce((a, b) => a + b, 0);
        const back = await unpackPayload(
          openSealed(seal, segment.ids[i]!, sealed[k]!),
          SMALL.maxSize,
        );
        expect(Buffer.from(back).equals(data.subarray(start, start + expected[i]!))).toBe(true);
      }
      // The segment was released: sealing it again is an error, not a silent result.
      await expect(pool.sealHeld(segment, chosen)).rejects.toThrow(/not held/);
    } finally {
      await pool.close();
    }
  });
});

const rssAnon = async (): Promise<number> =>
  Number(/RssAnon:\s+(\d+) kB/.exec(await readFile('/proc/self/status', 'utf8'))![1]) * 1024;

describe('DataWorkerPool memory while busy', () => {
  it('does not pile up compressed and sealed copies in its workers', async () => {
    const seal: SealParams = { encrypt: true, key: randomBytes(32), level: 1 };
    const cdc = cdcCutParams(gearTableFromSeed(randomBytes(32)), DEFAULT_CHUNKER_PARAMS);
    const pool = new DataWorkerPool({ seal, idKey: randomBytes(32), cdc }, 2);
    // 16 random bytes in every 64: ~1 MiB chunks that compress to about a third.
    const template = randomBytes(16 * 2 ** 20);
    for (let at = 0; at < template.length; at += 64) template.fill(0x61, at + 16, at + 64);
    const segment = (): Uint8Array => {
      const view = pool.segmentBuffer();
      view.set(template.subarray(0, view.length));
      return view;
    };
    const backUp = async (segments: number): Promise<void> => {
      for (let i = 0; i < segments; i += 2) {
        const held = await Promise.all([segment(), segment()].map((v) => pool.chunkSegment(v)));
        for (const s of held) {
          const picks = s.ids.flatMap((id, k) => (id === null ? [] : [k]));
          // As the chunk store does once a pack is written.
          for (const blob of await pool.sealHeld(s, picks)) releaseBuffer(blob);
        }
      }
    };
    try {
      await backUp(2);
      const warm = await rssAnon();
      await backUp(16);
      // Before: each worker's malloc arena filled to 64 MiB with zstd contexts and output pieces
      // waiting for a garbage collection.
      expect((await rssAnon()) - warm).toBeLessThan(32 * 2 ** 20);
    } finally {
      await pool.close();
    }
  });
});

describe('DataWorkerPool when idle', () => {
  it('lets go of its recycled 16 MiB segment buffers, in the workers too', async () => {
    const seal: SealParams = { encrypt: true, key: randomBytes(32), level: 1 };
    const cdc = cdcCutParams(gearTableFromSeed(randomBytes(32)), SMALL);
    const pool = new DataWorkerPool({ seal, idKey: randomBytes(32), cdc }, 2);
    try {
      // Eight segments in flight at once, every page written: all eight come back to be reused.
      const backUp = async (): Promise<void> => {
        const views = Array.from({ length: 8 }, (_, i) => pool.segmentBuffer().fill(i + 1));
        const held = await Promise.all(views.map((v) => pool.chunkSegment(v)));
        await Promise.all(held.map((segment) => pool.sealHeld(segment, [])));
      };
      await backUp();
      const busy = await rssAnon();
      // Idle for 1 s: the pool drops them, the workers forget and collect, and so does this thread.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const idle = await rssAnon();
      expect(busy - idle).toBeGreaterThan(96 * 2 ** 20);
    } finally {
      await pool.close();
    }
  });
});

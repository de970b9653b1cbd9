import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CHUNKER_ALGORITHMS,
  CURRENT_CHUNKER,
  cdcCut,
  cdcCutParams,
  cutAll,
  gearScanWasm,
  gearTableFromSeed,
  newGearScanner,
  type ChunkerAlgorithm,
  type ChunkerParams,
} from '../../../../src-main/engine/repository/fastcdc';

const SMALL: ChunkerParams = { minSize: 2 * 1024, avgSize: 8 * 1024, maxSize: 32 * 1024 };
const gear = gearTableFromSeed(Buffer.from('test-seed'));

function chunkAll(
  data: Uint8Array,
  params = SMALL,
  seed = gear,
  algorithm: ChunkerAlgorithm = CURRENT_CHUNKER,
  wasm = false,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  const p = cdcCutParams(seed, params, algorithm);
  for (const len of cutAll(p, data, wasm ? newGearScanner(p.gear, gearScanWasm()) : null)) {
    out.push(data.subarray(at, at + len));
    at += len;
  }
  return out;
}

const digest = (c: Uint8Array) => createHash('sha256').update(c).digest('hex');

/**
 * Random bytes that neither start nor end with 0: next to a zero run, a random 0 at the edge
 * (1 in 256) would move the run's edge by a byte, and the tests below check edges exactly.
 */
function island(length: number): Buffer {
  const bytes = randomBytes(length);
  bytes[0] ||= 1;
  bytes[length - 1] ||= 1;
  return bytes;
}

// Every chunker a repository config can name must keep all of these properties, with the hot
// loop in JavaScript and in WebAssembly (which only the one-test chunker uses).
const VARIANTS = CHUNKER_ALGORITHMS.flatMap((a) => [
  { algorithm: a, loop: 'js' },
  { algorithm: a, loop: 'wasm' },
]);
describe.each(VARIANTS)('FastCDC $algorithm, $loop loop', ({ algorithm, loop }) => {
  const wasm = loop === 'wasm';
  const cut = (d: Uint8Array, params = SMALL, seed = gear) =>
    chunkAll(d, params, seed, algorithm, wasm);
  const scannerFor = (p: { gear: Int32Array }) =>
    wasm ? newGearScanner(p.gear, gearScanWasm()) : null;
  const data = randomBytes(2 * 1024 * 1024);

  it('cuts chunks within the size bounds that reassemble the input', () => {
    const chunks = cut(data);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    for (const c of chunks.slice(0, -1)) {
      expect(c.length).toBeGreaterThanOrEqual(SMALL.minSize);
      expect(c.length).toBeLessThanOrEqual(SMALL.maxSize);
    }
    // Normalized chunking keeps the mean near the target average.
    const mean = data.length / chunks.length;
    expect(mean).toBeGreaterThan(SMALL.avgSize * 0.7);
    expect(mean).toBeLessThan(SMALL.avgSize * 1.6);
  });

  it('decides a cut from the first maxSize bytes only, so more data never moves a boundary', () => {
    const p = cdcCutParams(gear, SMALL, algorithm);
    const whole = cut(data).map((c) => c.length);
    // Fed with exactly maxSize bytes after the start, a non-final cut is already decided.
    let at = 0;
    const scanner = scannerFor(p);
    for (const len of whole.slice(0, 20)) {
      expect(cdcCut(p, data, at, at + SMALL.maxSize, false, scanner)).toBe(len);
      at += len;
    }
    // With fewer bytes and no boundary in them, it waits for more instead of guessing.
    const few = new Uint8Array(SMALL.minSize + 10).fill(7);
    expect(cdcCut(p, few, 0, SMALL.minSize + 10, false, scanner)).toBe(0);
  });

  it('keeps boundaries stable under insertions, so shifted data still deduplicates', () => {
    const before = new Set(cut(data).map(digest));
    // Insert 100 bytes near the start and delete 37 bytes in the middle: every later byte shifts.
    const edited = Buffer.concat([
      data.subarray(0, 50_000),
      randomBytes(100),
      data.subarray(50_000, 1_000_000),
      data.subarray(1_000_037),
    ]);
    const after = cut(edited).map(digest);
    const reused = after.filter((d) => before.has(d)).length;
    expect(reused / after.length).toBeGreaterThan(0.95);
  });

  it('cuts runs of identical non-zero bytes at the maximum size', () => {
    const chunks = cut(new Uint8Array(200 * 1024).fill(0xaa));
    expect(chunks.slice(0, -1).every((c) => c.length === SMALL.maxSize)).toBe(true);
  });

  it('cuts long zero runs out as chunks of their own, exactly at their edges', () => {
    const data = Buffer.concat([
      island(5000),
      Buffer.alloc(10_000),
      island(5000),
      Buffer.alloc(100_000),
    ]);
    const ends: number[] = [];
    let pos = 0;
    for (const c of cut(data)) ends.push((pos += c.length));
    expect(ends).toContain(5000);
    expect(ends).toContain(15_000);
    expect(ends).toContain(20_000);
    // A zero run longer than maxSize is cut at maxSize inside, and still ends at its edge.
    expect(ends.filter((e) => e > 20_000)).toEqual([
      20_000 + SMALL.maxSize,
      20_000 + 2 * SMALL.maxSize,
      20_000 + 3 * SMALL.maxSize,
      data.length,
    ]);
  });

  it('gets back in step after a change on a sparse disk (small data islands between zero ranges)', () => {
    // 100 KiB of dense data, then 40 islands of 1.5 KiB (below minSize) between 40 KiB of zeros
    // (above maxSize): after the dense part only zero-run edges can put boundaries back in step.
    const islands = Array.from({ length: 40 }, () => island(1500));
    const disk = (dense: Buffer) =>
      Buffer.concat([dense, ...islands.flatMap((p) => [Buffer.alloc(40 * 1024), p])]);
    const before = new Set(cut(disk(island(100 * 1024))).map(digest));
    let pos = 0;
    const changedAt: number[] = [];
    for (const c of cut(disk(island(100 * 1024)))) {
      if (!before.has(digest(c))) changedAt.push(pos);
      pos += c.length;
    }
    // Rewriting the dense part (same length) costs its own chunks and nothing after it.
    expect(changedAt.length).toBeGreaterThan(0);
    expect(changedAt.every((p) => p < 100 * 1024)).toBe(true);
  });

  it('depends on the gear table: another repository seed gives other boundaries', () => {
    const a = cut(data).map((c) => c.length);
    const b = cut(data, SMALL, gearTableFromSeed(Buffer.from('other'))).map((c) => c.length);
    expect(b).not.toEqual(a);
  });

  it('rejects nonsensical size bounds', () => {
    expect(() => cdcCutParams(gear, { minSize: 4096, avgSize: 3000, maxSize: 8192 })).toThrow(
      /power of two/,
    );
    expect(() => cdcCutParams(gear, { minSize: 8192, avgSize: 4096, maxSize: 16384 })).toThrow();
  });

  it('chunks fast enough for a backup stream (figure printed, not asserted)', () => {
    const big = randomBytes(64 * 1024 * 1024);
    const cdc = cdcCutParams(
      gear,
      { minSize: 256 * 1024, avgSize: 1024 * 1024, maxSize: 4 * 1024 * 1024 },
      algorithm,
    );
    const scanner = scannerFor(cdc);
    const t0 = performance.now();
    let pos = 0;
    let n = 0;
    while (pos < big.length) {
      pos += cdcCut(cdc, big, pos, big.length, true, scanner);
      n++;
    }
    const ms = performance.now() - t0;
    console.log(
      `FastCDC (${loop} loop): ${(big.length / 1e6 / (ms / 1000)).toFixed(0)} MB/s, ${n} chunks of 64 MiB`,
    );
    expect(pos).toBe(big.length);
  });
});

describe('chunker algorithms', () => {
  // SHA-256 counter blocks with a long zero run, a short one and a repeated region.
  const stream = (from: number, to: number) =>
    Buffer.concat(
      Array.from({ length: to - from }, (_, i) =>
        createHash('sha256')
          .update(`block-${from + i}`)
          .digest(),
      ),
    );
  const data = Buffer.concat([
    stream(0, 4096),
    Buffer.alloc(40_000),
    stream(4096, 8192),
    Buffer.alloc(1000),
    stream(100, 2000),
  ]);

  it('keeps the boundaries of repositories made before the one-test chunker', () => {
    // Cut by the chunker as it was when those repositories were written: a change here would
    // silently stop their new backups from deduplicating against their old ones.
    expect(cutAll(cdcCutParams(gear, SMALL, 'fastcdc-gear32-nc2-zero'), data)).toEqual([
      10528, 8812, 8937, 10813, 9570, 7590, 8196, 9688, 8679, 8734, 12082, 10121, 7710, 9612, 32768,
      7232, 11887, 11813, 8832, 10484, 9914, 9042, 11210, 8714, 10298, 10249, 8369, 11170, 9081,
      8337, 8812, 8937, 10813, 9570, 7590, 7750,
    ]);
  });

  it('gives new repositories the one-test chunker, whose zero hash is 0', () => {
    const p = cdcCutParams(gear, SMALL);
    expect(p.zeroHash).toBe(0);
    expect(cutAll(p, data)).not.toEqual(
      cutAll(cdcCutParams(gear, SMALL, 'fastcdc-gear32-nc2-zero'), data),
    );
  });
});

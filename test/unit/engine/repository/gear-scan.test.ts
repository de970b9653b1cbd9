import { readFile } from 'node:fs/promises';
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import {
  CHUNKER_ALGORITHMS,
  cdcCut,
  cdcCutParams,
  cutAll,
  gearScanWasm,
  gearTableFromSeed,
  newGearScanner,
  type ChunkerParams,
} from '../../../../src-main/engine/repository/fastcdc';

const WAT = new URL('../../../../src-main/engine/repository/gear-scan.wat', import.meta.url);
const gear = gearTableFromSeed(Buffer.from('gear-scan-test'));

/** Low-entropy text-like bytes: the hash then sees long stretches of similar values. */
function textLike(length: number): Buffer {
  const words = ['the ', 'disk ', 'backup ', 'of ', 'a ', 'virtual ', 'machine\n', 'restore '];
  const parts: string[] = [];
  let x = 2463534242;
  for (let n = 0; n < length;) {
    // xorshift32: cheap, repeatable word choice.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const word = words[(x >>> 0) % words.length]!;
    parts.push(word);
    n += word.length;
  }
  return Buffer.from(parts.join('').slice(0, length));
}

/**
 * Random-looking bytes, the same every run (xorshift32 from `seed`): with truly random data a
 * 2 MB input sometimes holds no cut at all for the largest chunk sizes, and the test flickered.
 */
function randomBytes(length: number, seed = length): Buffer {
  const out = Buffer.alloc(length);
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x >>> 24;
  }
  return out;
}

/** Random data, zero runs of every kind of length (below 32, near the zero-run rule, long). */
function mixed(): Buffer {
  return Buffer.concat([
    randomBytes(300_000),
    Buffer.alloc(31),
    randomBytes(70_000),
    Buffer.alloc(33),
    textLike(200_000),
    Buffer.alloc(65_535),
    randomBytes(5000),
    Buffer.alloc(300_000),
    new Uint8Array(150_000).fill(0xaa),
    randomBytes(1_000_000),
  ]);
}

const PARAMS: ChunkerParams[] = [
  { minSize: 64, avgSize: 256, maxSize: 1024 },
  { minSize: 2 * 1024, avgSize: 8 * 1024, maxSize: 32 * 1024 },
  // Chunks larger than the scanner's 64 KiB window, as the defaults make them.
  { minSize: 64 * 1024, avgSize: 256 * 1024, maxSize: 1024 * 1024 },
  { minSize: 256 * 1024, avgSize: 1024 * 1024, maxSize: 4 * 1024 * 1024 },
];

describe('the WebAssembly gear scanner', () => {
  it('is built from gear-scan.wat as committed (node scripts/build-gear-scan.mjs)', async () => {
    const wabt = await wabtInit();
    const module = wabt.parseWat('gear-scan.wat', await readFile(WAT, 'utf8'));
    const built = Buffer.from(module.toBinary({}).buffer);
    module.destroy();
    expect(Buffer.from(gearScanWasm()).equals(built)).toBe(true);
  });

  it.each(PARAMS)('cuts exactly where the JavaScript loop cuts (min $minSize)', (params) => {
    for (const algorithm of CHUNKER_ALGORITHMS) {
      const p = cdcCutParams(gear, params, algorithm);
      const scanner = newGearScanner(p.gear, gearScanWasm());
      for (const data of [mixed(), textLike(3_000_000), randomBytes(2_500_000)]) {
        const js = cutAll(p, data);
        expect(js.length).toBeGreaterThan(1);
        expect(cutAll(p, data, scanner)).toEqual(js);
      }
    }
  });

  it('waits for more data exactly when the JavaScript loop does', () => {
    const params = PARAMS[2]!;
    const p = cdcCutParams(gear, params);
    const scanner = newGearScanner(p.gear, gearScanWasm());
    const data = mixed();
    // Every prefix length around the window size and the size bounds, from several starts.
    const ends = [65_536, 65_537, 131_071, params.minSize + 1, params.avgSize + 3, 700_001];
    for (const start of [0, 299_990, 370_050, 571_000, 940_000]) {
      for (const n of ends) {
        const end = Math.min(data.length, start + n);
        for (const final of [false, true]) {
          expect(cdcCut(p, data, start, end, final, scanner)).toBe(
            cdcCut(p, data, start, end, final),
          );
        }
      }
    }
  });

  it('keeps no state between calls: one scanner serves any number of streams', () => {
    const p = cdcCutParams(gear, PARAMS[1]!);
    const scanner = newGearScanner(p.gear, gearScanWasm());
    const a = randomBytes(500_000);
    const b = textLike(500_000);
    const first = cutAll(p, a, scanner);
    cutAll(p, b, scanner);
    expect(cutAll(p, a, scanner)).toEqual(first);
  });
});

import { createHash } from 'node:crypto';
import { HyperkeepError } from '../../../shared/errors';
import { GEAR_SCAN_WASM_BASE64 } from './gear-scan-wasm';

/** Chunk size bounds of content-defined chunking; stored in the repository config. */
export interface ChunkerParams {
  minSize: number;
  /** A power of two: the normalized-chunking masks are derived from its log2. */
  avgSize: number;
  maxSize: number;
}

/**
 * 256 KiB / 1 MiB / 4 MiB: VM disks are large, so bigger chunks keep the index small (1 TiB of
 * unique data ≈ 1 M chunks), while 1 MiB still lets a changed file cost about a chunk.
 */
export const DEFAULT_CHUNKER_PARAMS: ChunkerParams = {
  minSize: 256 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 4 * 1024 * 1024,
};

export function validateChunkerParams(p: ChunkerParams): void {
  const isPow2 =
    Number.isInteger(p.avgSize) && p.avgSize > 0 && (p.avgSize & (p.avgSize - 1)) === 0;
  const ok =
    isPow2 &&
    Number.isInteger(p.minSize) &&
    Number.isInteger(p.maxSize) &&
    p.minSize >= 64 &&
    p.minSize < p.avgSize &&
    p.avgSize < p.maxSize &&
    p.maxSize <= 64 * 1024 * 1024 &&
    p.avgSize >= 256;
  if (!ok) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Invalid chunk sizes min ${p.minSize} / avg ${p.avgSize} / max ${p.maxSize}: need 64 ≤ min < avg < max ≤ 64 MiB with avg a power of two`,
    );
  }
}

/**
 * The gear table: 256 pseudo-random 32-bit values. Derived from a seed (the repository's secret id
 * key) so that chunk boundaries, like chunk ids, reveal nothing about content to someone without
 * the key; SHA-256 in counter mode makes the derivation stable across platforms.
 */
export function gearTableFromSeed(seed: Uint8Array): Uint32Array {
  const table = new Uint32Array(256);
  for (let block = 0; block < 32; block++) {
    const digest = createHash('sha256').update(seed).update(`gear-${block}`).digest();
    for (let j = 0; j < 8; j++) table[block * 8 + j] = digest.readUInt32LE(j * 4);
  }
  return table;
}

/** Mask with the top `bits` bits set: in a left-shifting gear hash the top bits see the most bytes. */
function topBits(bits: number): number {
  return bits >= 32 ? -1 : (~0 << (32 - bits)) | 0;
}

/**
 * The chunkers a repository config can name. Both are FastCDC with normalized chunking (level 2)
 * and zero runs cut out; they differ in the gear table's entry for byte 0:
 * - `fastcdc-gear32-nc2-zero-g0` (new repositories) sets it to 0, so that the hash of 32 zero
 *   bytes is 0 and the hot loop needs one test per byte instead of two (about 2x faster);
 * - `fastcdc-gear32-nc2-zero` (repositories made before) keeps the table as derived.
 * Chunk boundaries differ between the two; everything else, and every reader, is the same.
 */
export const CHUNKER_ALGORITHMS = [
  'fastcdc-gear32-nc2-zero-g0',
  'fastcdc-gear32-nc2-zero',
] as const;
export type ChunkerAlgorithm = (typeof CHUNKER_ALGORITHMS)[number];
export const CURRENT_CHUNKER: ChunkerAlgorithm = 'fastcdc-gear32-nc2-zero-g0';

/** What cdcCut needs, precomputed once per repository (a plain object: it is sent to workers). */
export interface CdcCutParams {
  /** Signed: V8 keeps int32 arithmetic in registers, while uint32 values above 2³¹ become doubles. */
  gear: Int32Array;
  minSize: number;
  avgSize: number;
  maxSize: number;
  /** Cut masks before and after avgSize (normalized chunking). */
  maskS: number;
  maskL: number;
  /** The gear hash of any 32 zero bytes in a row: h ← 2h + g[0] converges to −g[0] mod 2³². */
  zeroHash: number;
  /** Zero runs at least this long become chunks of their own. */
  zeroRun: number;
  /** 4 KiB of zeros, compared against with memcmp. */
  zeroBlock: Uint8Array;
}

export function cdcCutParams(
  table: Uint32Array,
  params: ChunkerParams,
  algorithm: ChunkerAlgorithm = CURRENT_CHUNKER,
): CdcCutParams {
  validateChunkerParams(params);
  if (table.length !== 256) {
    throw new HyperkeepError('INVALID_INPUT', 'Gear table must have 256 entries');
  }
  const gear = Int32Array.from(table, (v) => v | 0);
  if (algorithm === 'fastcdc-gear32-nc2-zero-g0') gear[0] = 0;
  const bits = Math.log2(params.avgSize);
  return {
    gear,
    minSize: params.minSize,
    avgSize: params.avgSize,
    maxSize: params.maxSize,
    maskS: topBits(bits + 2),
    maskL: topBits(bits - 2),
    zeroHash: -gear[0]! | 0,
    zeroRun: Math.max(64, Math.floor(params.minSize / 4)),
    zeroBlock: new Uint8Array(4096),
  };
}

/**
 * The hot loop of cdcCut in WebAssembly (gear-scan.wat), over a window of its own memory that
 * cdcCut copies the data into. Copying costs ~0.1 ms per MiB; the loop itself runs ~3x faster
 * than in JavaScript. Made once per thread by newGearScanner; it holds no state between calls.
 */
export interface GearScanner {
  /** Rolls the gear hash over window[from − 1024, stop − 1024); see gear-scan.wat. */
  scan: (from: number, stop: number, mask: number) => number;
  /** The rolling hash in and out of scan. */
  hash: { value: number };
  /** Where cdcCut copies the bytes to scan: the module's memory from byte 1024, 64 KiB. */
  window: Uint8Array;
}

/** The gear scanner's WebAssembly module (gear-scan.wat), for newGearScanner. */
export function gearScanWasm(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(GEAR_SCAN_WASM_BASE64, 'base64'));
}

/**
 * Instantiates the gear scanner for one table (cdcCutParams(...).gear), from the module's bytes
 * (gear-scan-wasm.ts). Shipped to worker threads as source text, like cdcCut: self-contained.
 */
export function newGearScanner(gear: Int32Array, wasm: Uint8Array<ArrayBuffer>): GearScanner {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), {});
  const exports = instance.exports as unknown as {
    memory: WebAssembly.Memory;
    hash: { value: number };
    scan: GearScanner['scan'];
  };
  new Int32Array(exports.memory.buffer, 0, 256).set(gear);
  return {
    scan: exports.scan,
    hash: exports.hash,
    window: new Uint8Array(exports.memory.buffer, 1024, 65536),
  };
}

/**
 * FastCDC with normalized chunking (level 2): before the average size a cut needs two more zero
 * bits (rarer), after it two fewer (likelier), which narrows the size distribution around avg.
 * Returns the length of the chunk starting at `start` in buf[start, end). With `final` false,
 * returns 0 when the cut depends on bytes not seen yet (fewer than maxSize bytes, no boundary).
 *
 * Zero runs of at least minSize/4 bytes are cut out as chunks of their own (which the writer
 * stores as holes). Why: on zeros the gear hash is constant, so plain CDC cuts them at maxSize
 * from wherever the last boundary was; on a sparse disk (data islands between zero ranges) one
 * change would then shift boundaries across every island that follows. Cutting at both edges of
 * a zero run puts the boundaries back in step after it. The rule looks only at bytes inside
 * [start, start + maxSize), so piece sizes still do not matter.
 *
 * This function is shipped to worker threads as source text (data-worker-pool.ts): it must stay
 * self-contained — its parameters and JS/Node globals only, no imports, no nested functions.
 */
export function cdcCut(
  p: CdcCutParams,
  buf: Uint8Array,
  start: number,
  end: number,
  final: boolean,
  /** The WebAssembly hot loop for `p.gear` (same cuts, faster); only used with a zero hash of 0. */
  scanner?: GearScanner | null,
): number {
  const available = end - start;
  if (available <= 0) return 0;
  const maxSize = p.maxSize;
  const limit = available < maxSize ? available : maxSize;
  const limitEnd = start + limit;
  const zb = p.zeroBlock;
  const zbLen = zb.length;
  if (buf[start] === 0) {
    // A chunk that starts with a long zero run is that run (up to maxSize). Whole 4 KiB blocks
    // by memcmp, then bytes: disks hold long zero runs.
    let z = start;
    while (z + zbLen <= limitEnd && Buffer.compare(buf.subarray(z, z + zbLen), zb) === 0) {
      z += zbLen;
    }
    while (z < limitEnd && buf[z] === 0) z++;
    const run = z - start;
    if (run >= p.zeroRun) return run === limit && limit < maxSize && !final ? 0 : run;
  }
  if (available <= p.minSize) return final ? available : 0;
  // Hot loops: everything they touch is a local (property lookups cost ~2x here), and they only
  // find candidates; what a candidate means is decided outside them.
  const gear = p.gear;
  const zeroHash = p.zeroHash;
  // With gear[0] = 0 the zero hash is 0, which every mask accepts: one test per byte finds both
  // cut points and zero runs. A second comparison per byte made the loop about 3x slower.
  const oneTest = zeroHash === 0;
  let mask = p.maskS;
  let stop = start + (p.avgSize < limit ? p.avgSize : limit);
  let h = 0;
  let i = start + p.minSize;
  /** The part of buf in scanner.window, [winFrom, winTo): valid during this call only. */
  let winFrom = 0;
  let winTo = 0;
  // Pass 0 runs to avgSize with the strict mask, pass 1 to the limit with the loose one.
  for (let pass = 0; pass < 2; pass++) {
    // Bounded: every round moves i forward by at least one byte.
    for (; i < stop; i++) {
      if (oneTest && scanner) {
        // Window by window: copy, scan, carry the hash. A window is reused when scanning
        // resumes inside it (after a short zero run: file tails on a disk have many).
        // Bounded: every round moves i forward.
        const window = scanner.window;
        while (i < stop) {
          if (i < winFrom || i >= winTo) {
            winFrom = i;
            winTo = limitEnd - i < window.length ? limitEnd : i + window.length;
            window.set(buf.subarray(winFrom, winTo));
          }
          const to = stop < winTo ? stop : winTo;
          scanner.hash.value = h;
          const found = scanner.scan(1024 + i - winFrom, 1024 + to - winFrom, mask) - 1024;
          h = scanner.hash.value;
          i = winFrom + found;
          if (i < to) break;
        }
      } else if (oneTest) {
        for (; i < stop; i++) {
          h = ((h << 1) + gear[buf[i]!]!) | 0;
          if ((h & mask) === 0) break;
        }
      } else {
        for (; i < stop; i++) {
          h = ((h << 1) + gear[buf[i]!]!) | 0;
          if ((h & mask) === 0 || h === zeroHash) break;
        }
      }
      if (i >= stop) break;
      if (h !== zeroHash) return i - start + 1;
      // The hash says "32 zeros" (or matched by chance: then no cut here).
      if (i - 31 < start) continue;
      let zeros = true;
      for (let k = i - 31; k <= i; k++) {
        if (buf[k] !== 0) {
          zeros = false;
          break;
        }
      }
      if (!zeros) continue;
      let runStart = i - 31;
      while (runStart > start && buf[runStart - 1] === 0) runStart--;
      let runEnd = i + 1;
      while (
        runEnd + zbLen <= limitEnd &&
        Buffer.compare(buf.subarray(runEnd, runEnd + zbLen), zb) === 0
      ) {
        runEnd += zbLen;
      }
      while (runEnd < limitEnd && buf[runEnd] === 0) runEnd++;
      // A long run ends the chunk where it starts; a short one is skipped (the hash stays the
      // zero hash across it, so hashing resumes correctly after it).
      if (runEnd - runStart >= p.zeroRun && runStart > start) return runStart - start;
      i = runEnd - 1;
    }
    mask = p.maskL;
    stop = limitEnd;
  }
  if (limit === maxSize) return maxSize;
  return final ? available : 0;
}

/** Cuts a whole buffer (a complete stream) into chunk lengths. */
export function cutAll(p: CdcCutParams, buf: Uint8Array, scanner?: GearScanner | null): number[] {
  const lengths: number[] = [];
  // Bounded: each cut of a final stream consumes at least one byte.
  for (let at = 0; at < buf.length;) {
    const len = cdcCut(p, buf, at, buf.length, true, scanner);
    lengths.push(len);
    at += len;
  }
  return lengths;
}

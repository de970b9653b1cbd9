import { createHash } from 'node:crypto';
import { HyperkeepError } from '../../../shared/errors';

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

const ZERO_BLOCK = new Uint8Array(4096);

/** First index in [from, to) holding a non-zero byte, or `to`. */
export function zeroRunEnd(buf: Uint8Array, from: number, to: number): number {
  let i = from;
  // Whole 4 KiB blocks by memcmp, then bytes: disks hold long zero runs.
  while (
    i + ZERO_BLOCK.length <= to &&
    Buffer.compare(buf.subarray(i, i + ZERO_BLOCK.length), ZERO_BLOCK) === 0
  ) {
    i += ZERO_BLOCK.length;
  }
  while (i < to && buf[i] === 0) i++;
  return i;
}

/**
 * FastCDC with normalized chunking (level 2): before the average size a cut needs two more zero
 * bits (rarer), after it two fewer (likelier), which narrows the size distribution around avg.
 *
 * Zero runs of at least minSize/4 bytes are cut out as chunks of their own (which the writer
 * stores as holes). Why: on zeros the gear hash is constant, so plain CDC cuts them at maxSize
 * from wherever the last boundary was; on a sparse disk (data islands between zero ranges) one
 * change would then shift boundaries across every island that follows. Cutting at both edges of
 * a zero run puts the boundaries back in step after it. The rule looks only at bytes inside
 * [start, start + maxSize), so piece sizes still do not matter.
 */
export class FastCdc {
  private readonly maskS: number;
  private readonly maskL: number;
  /** The gear hash of any 32 zero bytes in a row: h ← 2h + g[0] converges to −g[0] mod 2³². */
  private readonly zeroHash: number;
  readonly zeroRun: number;

  constructor(
    private readonly gear: Uint32Array,
    readonly params: ChunkerParams,
  ) {
    validateChunkerParams(params);
    if (gear.length !== 256) {
      throw new HyperkeepError('INVALID_INPUT', 'Gear table must have 256 entries');
    }
    const bits = Math.log2(params.avgSize);
    this.maskS = topBits(bits + 2);
    this.maskL = topBits(bits - 2);
    this.zeroHash = -gear[0]! | 0;
    this.zeroRun = Math.max(64, Math.floor(params.minSize / 4));
  }

  /**
   * Length of the chunk starting at `start` in buf[start, end). With `final` false, returns 0 when
   * the cut depends on bytes not seen yet (fewer than maxSize bytes and no boundary found).
   */
  cut(buf: Uint8Array, start: number, end: number, final: boolean): number {
    const { minSize, avgSize, maxSize } = this.params;
    const available = end - start;
    if (available <= 0) return 0;
    const limit = available < maxSize ? available : maxSize;
    const limitEnd = start + limit;
    if (buf[start] === 0) {
      // A chunk that starts with a long zero run is that run (up to maxSize).
      const z = zeroRunEnd(buf, start, limitEnd) - start;
      if (z >= this.zeroRun) return z === limit && limit < maxSize && !final ? 0 : z;
    }
    if (available <= minSize) return final ? available : 0;
    // Hot loop: everything it touches is a local (closure and property lookups cost ~2x here).
    const gear = this.gear;
    const maskS = this.maskS;
    const maskL = this.maskL;
    const zeroHash = this.zeroHash;
    const normalEnd = start + (avgSize < limit ? avgSize : limit);
    let h = 0;
    let i = start + minSize;
    for (; i < normalEnd; i++) {
      h = ((h << 1) + gear[buf[i]!]!) | 0;
      if (h === zeroHash) {
        const r = this.atZeros(buf, start, i, limitEnd);
        if (r > 0) return r;
        if (r < 0) i = -r - 1;
        continue;
      }
      if ((h & maskS) === 0) return i - start + 1;
    }
    for (; i < limitEnd; i++) {
      h = ((h << 1) + gear[buf[i]!]!) | 0;
      if (h === zeroHash) {
        const r = this.atZeros(buf, start, i, limitEnd);
        if (r > 0) return r;
        if (r < 0) i = -r - 1;
        continue;
      }
      if ((h & maskL) === 0) return i - start + 1;
    }
    if (limit === maxSize) return maxSize;
    return final ? available : 0;
  }

  /**
   * The hash at `i` says "32 zeros". Returns a chunk length > 0 to cut where a long zero run
   * starts; −(index after the run) to skip a short run (the hash stays the zero hash across it,
   * so hashing resumes correctly there); 0 when the hash matched by chance.
   */
  private atZeros(buf: Uint8Array, start: number, i: number, limitEnd: number): number {
    if (i - 31 < start) return 0;
    for (let k = i - 31; k <= i; k++) if (buf[k] !== 0) return 0;
    let runStart = i - 31;
    while (runStart > start && buf[runStart - 1] === 0) runStart--;
    const runEnd = zeroRunEnd(buf, i + 1, limitEnd);
    if (runEnd - runStart >= this.zeroRun && runStart > start) return runStart - start;
    return -runEnd;
  }
}

/**
 * Cuts a byte stream that arrives in pieces of any size into content-defined chunks: the same
 * bytes give the same chunks whatever the piece sizes. Each chunk is a fresh copy with its own
 * ArrayBuffer, so it can be transferred to a worker and the caller may reuse its input buffers.
 *
 * Chunks are cut straight from the input; only the bytes around a piece boundary go through the
 * carry buffer, so each byte is copied about once.
 */
export class StreamChunker {
  /** Undecided bytes from earlier pieces (fewer than maxSize), plus what a cut needs after them. */
  private readonly carry: Uint8Array;
  private carryLen = 0;

  constructor(private readonly cdc: FastCdc) {
    this.carry = new Uint8Array(cdc.params.maxSize);
  }

  /** Chunks completed by `data`; the undecided tail is kept for the next push or finish. */
  push(data: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    const max = this.cdc.params.maxSize;
    let off = 0;
    // Bounded: every pass consumes input or emits a chunk; it stops when input is exhausted.
    while (off < data.length) {
      if (this.carryLen === 0) {
        while (data.length - off >= max) {
          const len = this.cdc.cut(data, off, data.length, false);
          out.push(new Uint8Array(data.subarray(off, off + len))); // a copy; Buffer#slice would be a view
          off += len;
        }
        this.carry.set(data.subarray(off));
        this.carryLen = data.length - off;
        return out;
      }
      // Top the carry up to maxSize bytes: then a cut is decided without more input.
      const n = Math.min(max - this.carryLen, data.length - off);
      this.carry.set(data.subarray(off, off + n), this.carryLen);
      this.carryLen += n;
      off += n;
      if (this.carryLen < max) return out;
      const len = this.cdc.cut(this.carry, 0, this.carryLen, false);
      out.push(this.carry.slice(0, len));
      const rest = this.carryLen - len;
      if (rest <= n) {
        // The undecided bytes all came from `data`: continue from there, without the carry.
        off -= rest;
        this.carryLen = 0;
      } else {
        this.carry.copyWithin(0, len, this.carryLen);
        this.carryLen = rest;
      }
    }
    return out;
  }

  /** The remaining chunks at the end of a stream (the last one may be shorter than minSize). */
  finish(): Uint8Array[] {
    const out: Uint8Array[] = [];
    let start = 0;
    // Bounded: each cut consumes at least one byte.
    while (start < this.carryLen) {
      const len = this.cdc.cut(this.carry, start, this.carryLen, true);
      out.push(this.carry.slice(start, start + len));
      start += len;
    }
    this.carryLen = 0;
    return out;
  }
}

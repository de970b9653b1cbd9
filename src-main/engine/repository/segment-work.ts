import type { Blake3Hasher } from '@napi-rs/blake-hash';
import type { CdcCutParams, GearScanner, cdcCut } from './fastcdc';
import type { SealModules, SealParams, compressAndSeal } from './sealing';

/**
 * The two steps of the backup data path that run on worker threads (data-worker-pool.ts). Both
 * functions are shipped to the workers as source text, so they stay self-contained: only their
 * parameters (the other shipped functions are passed in) and JS/Node globals, no imports at
 * run time, no nested functions.
 */

export interface SegmentModules extends SealModules {
  blake3: { Blake3Hasher: typeof Blake3Hasher };
}

/** A segment's chunks: lengths in order, and each chunk's id (null: all zeros, stored as a hole). */
export interface SegmentChunks {
  lengths: number[];
  ids: (Uint8Array | null)[];
  chunkMs: number;
  hashMs: number;
}

/** Cuts a complete stream into content-defined chunks and computes each chunk's keyed id. */
export function chunkIdsOfSegment(
  mods: SegmentModules,
  cut: typeof cdcCut,
  cdc: CdcCutParams,
  idKey: Uint8Array,
  data: Uint8Array,
  scanner?: GearScanner | null,
): SegmentChunks {
  const lengths: number[] = [];
  const ids: (Uint8Array | null)[] = [];
  let chunkMs = 0;
  let hashMs = 0;
  const zeros = new Uint8Array(cdc.maxSize);
  const key = Buffer.from(idKey.buffer, idKey.byteOffset, idKey.byteLength);
  // Bounded: each cut of a final stream consumes at least one byte.
  for (let at = 0; at < data.length;) {
    const t0 = performance.now();
    const len = cut(cdc, data, at, data.length, true, scanner);
    const chunk = data.subarray(at, at + len);
    // memcmp against zeros: ~10x faster than a JS loop.
    const zero = Buffer.compare(chunk, zeros.subarray(0, len)) === 0;
    const t1 = performance.now();
    chunkMs += t1 - t0;
    lengths.push(len);
    if (zero) {
      ids.push(null);
    } else {
      ids.push(new Uint8Array(mods.blake3.Blake3Hasher.newKeyed(key).update(chunk).digestBuffer()));
      hashMs += performance.now() - t1;
    }
    at += len;
  }
  // 4 MiB: free it now rather than at a collection (see release-buffer.ts).
  zeros.buffer.transfer(0);
  return { lengths, ids, chunkMs, hashMs };
}

/**
 * Compresses and seals the chunks of a segment at `picks` (indexes into its chunk list, each
 * with a non-null id), with the chunk id as associated data. Returns one owned buffer per pick,
 * ready to be transferred.
 */
export function sealPicked(
  mods: SealModules,
  seal: typeof compressAndSeal,
  params: SealParams,
  data: Uint8Array,
  chunks: SegmentChunks,
  picks: readonly number[],
  timing: { compressMs: number; encryptMs: number },
): ArrayBuffer[] {
  const starts: number[] = [];
  let at = 0;
  for (const len of chunks.lengths) {
    starts.push(at);
    at += len;
  }
  const out: ArrayBuffer[] = [];
  for (const i of picks) {
    const id = chunks.ids[i];
    const start = starts[i];
    if (id === null || id === undefined || start === undefined) {
      throw new Error(`chunk ${i} of the segment has no data to seal`);
    }
    const sealed = seal(mods, params, id, data.subarray(start, start + chunks.lengths[i]!), timing);
    out.push(
      sealed.byteOffset === 0 && sealed.byteLength === sealed.buffer.byteLength
        ? (sealed.buffer as ArrayBuffer)
        : (new Uint8Array(sealed).buffer as ArrayBuffer),
    );
  }
  return out;
}

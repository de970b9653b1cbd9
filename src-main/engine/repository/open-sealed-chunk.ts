import type * as nodeCrypto from 'node:crypto';
import type * as nodeZlib from 'node:zlib';

/*
 * Opening sealed chunks, as functions shipped to the read side's worker threads
 * (open-worker-pool.ts) as source text and also run on the calling thread.
 */

/** What opening a sealed chunk needs: its repository's key and whether it is encrypted. */
export interface OpenParams {
  encrypt: boolean;
  /** A KeyObject (what the workers use) saves re-importing the raw key for every chunk. */
  key: Uint8Array | nodeCrypto.KeyObject;
}

export interface OpenModules {
  zlib: typeof nodeZlib;
  crypto: typeof nodeCrypto;
  /**
   * Decompresses one zstd frame straight into `out` and returns the bytes written; throws an
   * Error named 'SealError' for damaged data or data longer than `out`. Where present (the
   * worker threads), a chunk is decompressed into its place in the block being built: no
   * buffer allocated, copied and collected per chunk.
   */
  zstdInto?: (input: Uint8Array, out: Uint8Array) => number;
}

/**
 * Checks, decrypts and decompresses one sealed chunk (the inverse of sealing.ts compressAndSeal,
 * same format): returns the chunk's bytes, at most `maxBytes` of them. A damaged, altered or
 * misplaced chunk throws an Error named 'SealError'. This function is shipped to worker threads
 * as source text, so it stays self-contained: only its parameters and JS globals, no imports, no
 * nested functions (a bundler may wrap those in helpers the worker does not have).
 */
export function openSealedChunk(
  mods: OpenModules,
  p: OpenParams,
  aad: Uint8Array,
  sealed: Uint8Array,
  maxBytes: number,
  /** Where to decompress to when mods.zstdInto exists (its length bounds the output). */
  into?: Uint8Array,
): Uint8Array {
  let plain: Uint8Array;
  if (p.encrypt) {
    // 01 | nonce(12) | ciphertext | tag(16)
    if (sealed[0] !== 0x01 || sealed.length < 1 + 12 + 1 + 16)
      throw Object.assign(new Error('not an encrypted object of this repository'), {
        name: 'SealError',
      });
    const body = sealed.subarray(13, sealed.length - 16);
    const decipher = mods.crypto.createDecipheriv(
      'chacha20-poly1305',
      p.key,
      sealed.subarray(1, 13),
      { authTagLength: 16 },
    );
    decipher.setAAD(aad, { plaintextLength: body.length });
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    try {
      const head = decipher.update(body);
      const tail = decipher.final();
      plain = tail.length === 0 ? head : Buffer.concat([head, tail]);
    } catch {
      throw Object.assign(new Error('authentication failed (data altered or damaged)'), {
        name: 'SealError',
      });
    }
  } else {
    // 00 | plaintext | HMAC-SHA-256(len(aad) | aad | plaintext)
    if (sealed[0] !== 0x00 || sealed.length < 1 + 1 + 32)
      throw Object.assign(new Error('not an object of this unencrypted repository'), {
        name: 'SealError',
      });
    plain = sealed.subarray(1, sealed.length - 32);
    const mac = mods.crypto
      .createHmac('sha256', p.key)
      .update(Uint8Array.of(aad.length >> 8, aad.length & 255))
      .update(aad)
      .update(plain)
      .digest();
    if (!mods.crypto.timingSafeEqual(mac, sealed.subarray(sealed.length - 32)))
      throw Object.assign(new Error('checksum mismatch (data altered or damaged)'), {
        name: 'SealError',
      });
  }
  const format = plain[0];
  if (format === 0x00) return plain.subarray(1);
  if (format !== 0x01)
    throw Object.assign(new Error(`unknown payload format ${String(format)}`), {
      name: 'SealError',
    });
  // Through the thread's one decompressor (no context per chunk), into the block or a buffer of
  // the chunk's size; only outsized requests (never a chunk) take the allocating path.
  if (mods.zstdInto && (into || maxBytes <= 16 * 1024 * 1024)) {
    const target = into ?? new Uint8Array(Math.max(1, maxBytes));
    const written = mods.zstdInto(plain.subarray(1), target);
    // The decrypted copy is spent: free it now, not at a collection (see release-buffer.ts;
    // inlined, this function is shipped as source). Only a whole, decrypted buffer of ≥ 64 KiB.
    const whole = plain.byteOffset === 0 && plain.byteLength === plain.buffer.byteLength;
    if (p.encrypt && whole && plain.byteLength >= 65536 && plain.buffer instanceof ArrayBuffer)
      plain.buffer.transfer(0);
    return target.subarray(0, written);
  }
  try {
    // One output buffer of the chunk's size instead of 16 KiB pieces joined at the end.
    return mods.zlib.zstdDecompressSync(plain.subarray(1), {
      maxOutputLength: Math.max(1, maxBytes),
      chunkSize: Math.max(64, Math.min(maxBytes, 8 * 1024 * 1024)),
    });
  } catch (err) {
    throw Object.assign(new Error(`zstd data is damaged (${(err as Error).message})`), {
      name: 'SealError',
    });
  }
}

/** A sealed chunk inside one of a job's spans (bytes read from a pack in one go). */
export interface AssembleChunk {
  /** Hex id: the AAD, and the keyed BLAKE3 hash the opened bytes must have. */
  id: string;
  span: number;
  offset: number;
  length: number;
  rawLength: number;
}

/**
 * Bytes [from, from+length) of chunk #chunk go to [at, at+length) of the block; what passes the
 * block's end goes to the job's overflow (the start of the next block).
 */
export interface AssemblePiece {
  chunk: number;
  from: number;
  length: number;
  at: number;
}

/** One block of a disk to build from sealed chunks. */
export interface AssembleJob {
  length: number;
  /** Bytes of the last piece past `length`: returned apart, for the next block. */
  overflow: number;
  spans: Uint8Array[];
  chunks: AssembleChunk[];
  pieces: AssemblePiece[];
  /** A spare buffer of `length` bytes to fill (transferred); a new one is made otherwise. */
  reuse?: ArrayBuffer;
}

/**
 * Fills `out` (zeros where no piece goes; pieces come in block order) and `overflow` from the
 * job's sealed chunks: each is
 * opened once with `open` (openSealedChunk), checked for its length and keyed BLAKE3 hash
 * (`hash`), then copied where its pieces say. A bad chunk throws an Error named 'SealError' with
 * the chunk's index as `chunk`. Shipped to worker threads as source text like openSealedChunk:
 * self-contained, no nested functions.
 */
export function assembleBlock(
  open: typeof openSealedChunk,
  mods: OpenModules,
  p: OpenParams,
  hash: (data: Uint8Array) => Uint8Array,
  job: AssembleJob,
  out: Uint8Array,
  overflow: Uint8Array,
  /** `out` holds an earlier block: the ranges no piece covers are zeroed. */
  dirty: boolean,
): void {
  const opened: (Uint8Array | undefined)[] = [];
  let zeroedTo = 0;
  for (const piece of job.pieces) {
    const c = job.chunks[piece.chunk];
    if (!c) throw new Error(`piece names chunk #${piece.chunk} of ${job.chunks.length}`);
    let data = opened[piece.chunk];
    if (!data) {
      const span = job.spans[c.span];
      if (!span || c.offset + c.length > span.length)
        throw new Error(`chunk #${piece.chunk} lies outside the bytes read for it`);
      const id = Buffer.from(c.id, 'hex');
      // A whole chunk that lies inside the block is decompressed where it goes.
      const inPlace =
        piece.from === 0 &&
        piece.length === c.rawLength &&
        piece.at >= 0 &&
        piece.at + c.rawLength <= out.length;
      const sealed = span.subarray(c.offset, c.offset + c.length);
      try {
        data = inPlace
          ? open(mods, p, id, sealed, c.rawLength, out.subarray(piece.at, piece.at + c.rawLength))
          : open(mods, p, id, sealed, c.rawLength);
      } catch (err) {
        throw Object.assign(err as Error, { chunk: piece.chunk });
      }
      if (data.length !== c.rawLength)
        throw Object.assign(new Error(`${data.length} bytes instead of ${c.rawLength}`), {
          name: 'SealError',
          chunk: piece.chunk,
        });
      if (!id.equals(hash(data)))
        throw Object.assign(new Error('content hash mismatch'), {
          name: 'SealError',
          chunk: piece.chunk,
        });
      opened[piece.chunk] = data;
    }
    const inside = Math.max(0, Math.min(piece.length, out.length - piece.at));
    if (
      piece.from + piece.length > data.length ||
      piece.at < 0 ||
      piece.at + piece.length > out.length + overflow.length
    )
      throw Object.assign(
        new Error(
          `a run refers to bytes ${piece.from}–${piece.from + piece.length} of a chunk of ${data.length}`,
        ),
        { name: 'SealError', chunk: piece.chunk },
      );
    if (dirty && piece.at > zeroedTo) out.fill(0, zeroedTo, piece.at);
    zeroedTo = Math.max(zeroedTo, piece.at + inside);
    // Already in place when it was decompressed there.
    if (data.buffer !== out.buffer || data.byteOffset !== out.byteOffset + piece.at)
      out.set(data.subarray(piece.from, piece.from + inside), piece.at);
    if (inside < piece.length)
      overflow.set(
        data.subarray(piece.from + inside, piece.from + piece.length),
        piece.at + inside - out.length,
      );
  }
  if (dirty && zeroedTo < out.length) out.fill(0, zeroedTo);
  // Chunks opened outside `out` (stored raw, or cut by the block's edges) were decrypted or
  // decompressed into buffers of their own: free those now, not at a collection
  // (release-buffer.ts). A raw chunk of an unencrypted repository is a view of its span: kept.
  for (const data of opened) {
    const buffer = data?.buffer;
    if (!(buffer instanceof ArrayBuffer) || buffer === out.buffer || buffer.byteLength < 65536)
      continue;
    let inSpan = false;
    for (const span of job.spans) inSpan ||= span.buffer === buffer;
    if (!inSpan && !buffer.detached) buffer.transfer(0);
  }
}

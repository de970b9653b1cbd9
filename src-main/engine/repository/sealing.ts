import * as nodeCrypto from 'node:crypto';
import { promisify } from 'node:util';
import * as nodeZlib from 'node:zlib';

/**
 * How every stored blob and metadata object is protected. One leading scheme byte makes each
 * object self-describing:
 *   0x01 ChaCha20-Poly1305: 01 | nonce(12) | ciphertext | tag(16)   (encrypted repositories)
 *   0x00 plain + HMAC-SHA-256: 00 | plaintext | mac(32)              (unencrypted repositories)
 * The associated data (a chunk's id, or "snapshot:<id>", "index", …) is authenticated but not
 * stored, so an object moved to another name or slot fails to open.
 */
export const SCHEME_PLAIN = 0x00;
export const SCHEME_CHACHA = 0x01;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const MAC_BYTES = 32;

/** Payload formats inside a sealed chunk/blob: the first plaintext byte. */
export const PAYLOAD_RAW = 0x00;
export const PAYLOAD_ZSTD = 0x01;

/** What a sealer needs: encrypt with `key`, or (unencrypted) authenticate with `key` as MAC key. */
export interface SealParams {
  encrypt: boolean;
  key: Uint8Array;
  /** zstd level for compressAndSeal. */
  level: number;
}

export interface SealModules {
  zlib: typeof nodeZlib;
  crypto: typeof nodeCrypto;
  /**
   * zstd into a reused buffer (zstd-into.ts), set on the data workers: a frame of at most
   * `limit` bytes, or null when it would not fit. Without it, zstdCompressSync.
   */
  compressInto?: (data: Uint8Array, level: number, limit: number) => Uint8Array | null;
}

export const MAIN_THREAD_MODULES: SealModules = { zlib: nodeZlib, crypto: nodeCrypto };

/**
 * Compresses (when that saves at least 1/32) and seals one chunk. This function is also shipped
 * to worker threads as source text (see data-worker-pool.ts), so it must stay self-contained:
 * only its parameters and JS globals, no imports, no nested named functions.
 */
export function compressAndSeal(
  mods: SealModules,
  p: SealParams,
  aad: Uint8Array,
  data: Uint8Array,
  /** Adds the time spent compressing and sealing, in ms (the benchmark's breakdown). */
  timing?: { compressMs: number; encryptMs: number },
): Uint8Array {
  let payload: Uint8Array = data;
  let format = 0x00;
  /** Whether payload is a buffer of our own, to be freed once copied (see release-buffer.ts). */
  let spentPayload = false;
  const t0 = performance.now();
  if (p.level > 0 && data.length >= 64) {
    // Compressed data is kept only when it saves at least 1/32.
    const limit = data.length - (data.length >> 5) - 1;
    if (mods.compressInto) {
      const packed = mods.compressInto(data, p.level, limit);
      if (packed !== null) {
        payload = packed;
        format = 0x01;
      }
    } else {
      const packed = mods.zlib.zstdCompressSync(data, {
        params: { [mods.zlib.constants.ZSTD_c_compressionLevel]: p.level },
      });
      if (packed.length <= limit) {
        payload = packed;
        format = 0x01;
        spentPayload = true;
      }
    }
  }
  const plainLen = 1 + payload.length;
  const t1 = performance.now();
  if (timing) timing.compressMs += t1 - t0;
  if (p.encrypt) {
    const out = new Uint8Array(1 + 12 + plainLen + 16);
    const nonce = mods.crypto.randomBytes(12);
    out[0] = 0x01;
    out.set(nonce, 1);
    const cipher = mods.crypto.createCipheriv('chacha20-poly1305', p.key, nonce, {
      authTagLength: 16,
    });
    cipher.setAAD(aad, { plaintextLength: plainLen });
    let pos = 13;
    const head = cipher.update(Uint8Array.of(format));
    out.set(head, pos);
    pos += head.length;
    const body = cipher.update(payload);
    out.set(body, pos);
    pos += body.length;
    // Free the compressed and encrypted copies now, not at a collection (see release-buffer.ts,
    // inlined: this function is shipped as source). Only whole, unpooled buffers of ≥ 64 KiB.
    for (const spent of spentPayload ? [body, payload] : [body]) {
      const whole = spent.byteOffset === 0 && spent.byteLength === spent.buffer.byteLength;
      if (whole && spent.byteLength >= 65536 && spent.buffer instanceof ArrayBuffer) {
        if (!spent.buffer.detached) spent.buffer.transfer(0);
      }
    }
    const tail = cipher.final();
    out.set(tail, pos);
    pos += tail.length;
    out.set(cipher.getAuthTag(), pos);
    if (timing) timing.encryptMs += performance.now() - t1;
    return out;
  }
  const out = new Uint8Array(1 + plainLen + 32);
  out[0] = 0x00;
  out[1] = format;
  out.set(payload, 2);
  if (spentPayload && payload.byteLength >= 65536 && payload.buffer instanceof ArrayBuffer) {
    // The compressed copy is spent: free it now (as above).
    const whole = payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength;
    if (whole) payload.buffer.transfer(0);
  }
  // The AAD length goes first so that (aad, plaintext) pairs cannot be re-split into another pair.
  const mac = mods.crypto
    .createHmac('sha256', p.key)
    .update(Uint8Array.of(aad.length >> 8, aad.length & 255))
    .update(aad)
    .update(out.subarray(1, 1 + plainLen))
    .digest();
  out.set(mac, 1 + plainLen);
  if (timing) timing.encryptMs += performance.now() - t1;
  return out;
}

/** A sealed object failed authentication or decoding: it was altered, damaged or misplaced. */
export class SealError extends Error {}

/**
 * Checks and opens a sealed object; returns the plaintext (format byte + payload). Throws
 * SealError when the object was altered, truncated, or is opened under the wrong name.
 */
export function openSealed(p: SealParams, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  const scheme = sealed[0];
  if (p.encrypt) {
    if (scheme !== SCHEME_CHACHA || sealed.length < 1 + NONCE_BYTES + 1 + TAG_BYTES) {
      throw new SealError('not an encrypted object of this repository');
    }
    const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
    const body = sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES);
    const decipher = nodeCrypto.createDecipheriv('chacha20-poly1305', p.key, nonce, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aad, { plaintextLength: body.length });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      const head = decipher.update(body);
      const tail = decipher.final();
      return tail.length === 0 ? head : Buffer.concat([head, tail]);
    } catch {
      throw new SealError('authentication failed (data altered or damaged)');
    }
  }
  if (scheme !== SCHEME_PLAIN || sealed.length < 1 + 1 + MAC_BYTES) {
    throw new SealError('not an object of this unencrypted repository');
  }
  const plain = sealed.subarray(1, sealed.length - MAC_BYTES);
  const mac = nodeCrypto
    .createHmac('sha256', p.key)
    .update(Uint8Array.of(aad.length >> 8, aad.length & 255))
    .update(aad)
    .update(plain)
    .digest();
  if (!nodeCrypto.timingSafeEqual(mac, sealed.subarray(sealed.length - MAC_BYTES))) {
    throw new SealError('checksum mismatch (data altered or damaged)');
  }
  return plain;
}

/** Decompresses an opened payload; `maxBytes` bounds the output so a forged frame cannot balloon. */
export async function unpackPayload(plain: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const format = plain[0];
  const payload = plain.subarray(1);
  if (format === PAYLOAD_RAW) return payload;
  if (format !== PAYLOAD_ZSTD) throw new SealError(`unknown payload format ${String(format)}`);
  try {
    return await zstdDecompress(payload, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (err) {
    throw new SealError(`zstd data is damaged (${(err as Error).message})`);
  }
}

/** Synchronous variant for small metadata objects. */
export function unpackPayloadSync(plain: Uint8Array, maxBytes: number): Uint8Array {
  const format = plain[0];
  const payload = plain.subarray(1);
  if (format === PAYLOAD_RAW) return payload;
  if (format !== PAYLOAD_ZSTD) throw new SealError(`unknown payload format ${String(format)}`);
  try {
    return nodeZlib.zstdDecompressSync(payload, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (err) {
    throw new SealError(`zstd data is damaged (${(err as Error).message})`);
  }
}

const zstdDecompress = promisify(nodeZlib.zstdDecompress) as (
  buf: Uint8Array,
  options: nodeZlib.ZstdOptions,
) => Promise<Buffer>;

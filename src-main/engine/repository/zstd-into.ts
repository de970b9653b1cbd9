import type * as nodeZlib from 'node:zlib';

/**
 * zstd compression into one reused buffer, through a compressor kept per thread and level: the
 * handle that `zstdCompressSync` drives internally (the restore side does the same for
 * decompression, see open-worker-pool.ts).
 *
 * Why: `zstdCompressSync` creates a compression context and ~64 KiB output pieces for every
 * chunk, then concatenates them. All of it lives in the thread's malloc arena until a garbage
 * collection finds it, and V8 starts collecting for that only after ~64 MiB has piled up: each
 * data worker held a full 64 MiB arena through every backup. Reusing one context and one output
 * buffer keeps that at the size of a chunk, and spares the context set-up per chunk.
 *
 * Both functions are shipped to worker threads as source text (data-worker-pool.ts): only their
 * parameters and JS globals, no imports at run time, no nested functions.
 */

/** What the internal handle looks like; `zstdIntoSupported` checks it before first use. */
interface ZstdCompressHandle {
  _handle: {
    writeSync(
      flush: number,
      input: Uint8Array,
      inOff: number,
      inLen: number,
      out: Uint8Array,
      outOff: number,
      outLen: number,
    ): void;
    reset(): void;
    onerror: ((message: string) => void) | null;
  };
  _writeState: Uint32Array;
  close(): void;
}

/** Per-thread state: one compressor per level, one output buffer, the last error. */
export interface ZstdIntoState {
  compressors: Map<number, ZstdCompressHandle>;
  out: Uint8Array | null;
  error: string | null;
}

export function newZstdIntoState(): ZstdIntoState {
  return { compressors: new Map(), out: null, error: null };
}

/** True when this Node's zstd compressor has the internal handle zstdCompressInto relies on. */
export function zstdIntoSupported(zlib: typeof nodeZlib): boolean {
  try {
    const probe = new zlib.ZstdCompress() as unknown as Partial<ZstdCompressHandle>;
    const ok =
      typeof probe._handle?.writeSync === 'function' &&
      typeof probe._handle.reset === 'function' &&
      probe._writeState instanceof Uint32Array &&
      typeof zlib.constants.ZSTD_e_end === 'number';
    probe.close?.();
    return ok;
  } catch {
    return false;
  }
}

/**
 * Compresses `data` as one zstd frame at `level`, if the frame takes at most `limit` bytes.
 * Returns a view into the state's output buffer (valid until the next call on this thread), or
 * null when the frame would not fit: the caller stores such data uncompressed.
 */
export function zstdCompressInto(
  zlib: typeof nodeZlib,
  state: ZstdIntoState,
  data: Uint8Array,
  level: number,
  limit: number,
): Uint8Array | null {
  let zstd = state.compressors.get(level);
  if (!zstd) {
    const options = { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } };
    zstd = new zlib.ZstdCompress(options) as unknown as ZstdCompressHandle;
    zstd._handle.onerror = (message: string) => {
      state.error = message;
    };
    state.compressors.set(level, zstd);
  }
  // Room for the worst case (ZSTD_COMPRESSBOUND) plus a byte: zstd then compresses in one pass
  // straight into `out` (~15 % less CPU than with less room), and a frame that ends with room to
  // spare is complete.
  const n = data.length;
  const room = n + (n >> 8) + (n < 131072 ? (131072 - n) >> 11 : 0) + 1;
  if (!state.out || state.out.length < room) state.out = new Uint8Array(room);
  const out = state.out;
  state.error = null;
  zstd._handle.writeSync(zlib.constants.ZSTD_e_end, data, 0, n, out, 0, room);
  const outLeft = zstd._writeState[0]!;
  const inLeft = zstd._writeState[1]!;
  const written = room - outLeft;
  const whole = state.error === null && inLeft === 0 && outLeft !== 0;
  if (!whole) {
    // An error leaves the context mid-frame. Its reset() would also forget the level, so the
    // compressor is dropped instead. A finished frame leaves it ready for the next, level kept.
    zstd.close();
    state.compressors.delete(level);
    throw new Error(`zstd compression failed (${state.error ?? 'the frame did not end'})`);
  }
  return written <= limit ? out.subarray(0, written) : null;
}

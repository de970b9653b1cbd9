import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  newZstdIntoState,
  zstdCompressInto,
  zstdIntoSupported,
} from '../../../../src-main/engine/repository/zstd-into';

const LEVEL = zlib.constants.ZSTD_c_compressionLevel;
const text = Buffer.from('All work and no play makes Jack a dull boy. '.repeat(24_000));

describe('zstdCompressInto', () => {
  it('is usable on this Node (otherwise every chunk allocates a context again)', () => {
    expect(zstdIntoSupported(zlib)).toBe(true);
  });

  it('gives frames that decompress to the input, at each level, into one reused buffer', () => {
    const state = newZstdIntoState();
    const first = zstdCompressInto(zlib, state, text, 1, text.length - 1)!;
    expect(Buffer.from(zlib.zstdDecompressSync(first)).equals(text)).toBe(true);
    // The compressor is reused and must keep its level: the same input gives the same frame.
    expect(first.length).toBe(zlib.zstdCompressSync(text, { params: { [LEVEL]: 1 } }).length);
    const again = zstdCompressInto(zlib, state, text, 1, text.length - 1)!;
    expect(again.length).toBe(first.length);
    const firstBuffer = first.buffer;
    const high = zstdCompressInto(zlib, state, text.subarray(7), 19, text.length - 1)!;
    expect(high.buffer).toBe(firstBuffer);
    expect(Buffer.from(zlib.zstdDecompressSync(high)).equals(text.subarray(7))).toBe(true);
  });

  it('returns null when the frame would not fit, and the next frame is whole again', () => {
    const state = newZstdIntoState();
    const noise = randomBytes(1 << 20);
    expect(zstdCompressInto(zlib, state, noise, 1, noise.length - (noise.length >> 5))).toBeNull();
    // The compressor was left mid-frame above; a stale frame tail would corrupt this one.
    const next = zstdCompressInto(zlib, state, text, 1, text.length)!;
    expect(Buffer.from(zlib.zstdDecompressSync(next)).equals(text)).toBe(true);
    const size = next.length;
    expect(size).toBe(zlib.zstdCompressSync(text, { params: { [LEVEL]: 1 } }).length);
    // Exactly at the limit fits; one byte less does not.
    expect(zstdCompressInto(zlib, state, text, 1, size)?.length).toBe(size);
    expect(zstdCompressInto(zlib, state, text, 1, size - 1)).toBeNull();
  });
});

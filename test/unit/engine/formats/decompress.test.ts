import { deflateRawSync, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decompress, zstdFrameLength } from '../../../../src-main/engine/formats/decompress';

const cluster = Buffer.alloc(65536, 'hyperkeep ');

describe('cluster decompression', () => {
  it('decodes a zstd frame followed by sector padding, as qcow2 stores it', async () => {
    const frame = zstdCompressSync(cluster);
    const stored = Buffer.concat([frame, Buffer.from([9, 9, 9, 9, 0, 0, 0])]);
    expect(zstdFrameLength(stored)).toBe(frame.length);
    expect(Buffer.from(await decompress('zstd', stored, 65536)).equals(cluster)).toBe(true);
  });

  it('decodes raw deflate followed by padding', async () => {
    const stored = Buffer.concat([deflateRawSync(cluster), Buffer.alloc(300, 0x5a)]);
    expect(Buffer.from(await decompress('deflate-raw', stored, 65536)).equals(cluster)).toBe(true);
  });

  it('never inflates beyond the expected cluster size (decompression bombs)', async () => {
    const bomb = deflateRawSync(Buffer.alloc(8 << 20));
    await expect(decompress('deflate-raw', bomb, 65536)).rejects.toThrow(/larger than 65536/);
    await expect(
      decompress('zstd', zstdCompressSync(Buffer.alloc(8 << 20)), 65536),
    ).rejects.toThrow(/larger than 65536/);
  });

  it('reports truncated or foreign zstd data', () => {
    const frame = zstdCompressSync(cluster);
    expect(() => zstdFrameLength(frame.subarray(0, 8))).toThrow(/truncated/);
    expect(() => zstdFrameLength(Buffer.alloc(16))).toThrow(/no zstd frame magic/);
  });
});

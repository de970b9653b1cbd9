import { describe, expect, it } from 'vitest';
import { decompressLznt1 } from '../../../../../src-main/engine/filesystems/ntfs/lznt1';

/** Sub-block header: bit 15 = compressed, bits 12-14 = signature 3, bits 0-11 = stored size - 1. */
const header = (size: number, compressed: boolean): number[] => {
  const h = (size - 1) | 0x3000 | (compressed ? 0x8000 : 0);
  return [h & 0xff, h >> 8];
};

describe('LZNT1 decompression', () => {
  it('expands literals and an overlapping back-reference', () => {
    // Flags 0b1000: three literals, then a reference 3 bytes back, 9 bytes long (token 0x2006).
    const body = [0x08, 0x61, 0x62, 0x63, 0x06, 0x20];
    const out = decompressLznt1(Uint8Array.from([...header(body.length, true), ...body]), 12);
    expect(Buffer.from(out).toString()).toBe('abcabcabcabc');
  });

  it('copies stored sub-blocks and zero-fills short ones to 4 KiB', () => {
    const stored = new Uint8Array(4096).fill(0x41);
    const second = [0x00, 0x42];
    const input = Uint8Array.from([
      ...header(4096, false),
      ...stored,
      ...header(second.length, true),
      ...second,
    ]);
    const out = decompressLznt1(input, 8192);
    expect(out[4095]).toBe(0x41);
    expect(out[4096]).toBe(0x42);
    expect(out.subarray(4097).every((b) => b === 0)).toBe(true);
  });

  it('widens the offset field as the position in the sub-block grows', () => {
    // 20 literals, then at position 20 offsets take 5 bits (lengthBits 11): 20 back, length 4.
    const literals = Array.from({ length: 20 }, (_, i) => 0x61 + i);
    const token = ((20 - 1) << 11) | (4 - 3);
    const body = [
      0x00,
      ...literals.slice(0, 8),
      0x00,
      ...literals.slice(8, 16),
      0x10,
      ...literals.slice(16),
      token & 0xff,
      token >> 8,
    ];
    const out = decompressLznt1(Uint8Array.from([...header(body.length, true), ...body]), 24);
    expect(Buffer.from(out).toString()).toBe('abcdefghijklmnopqrstabcd');
  });

  it('rejects references before the start of the data and truncated sub-blocks', () => {
    const bad = [0x01, 0x00, 0x10]; // a reference at position 0
    expect(() =>
      decompressLznt1(Uint8Array.from([...header(bad.length, true), ...bad]), 16),
    ).toThrow(/^NTFS: LZNT1 sub-block refers 2 bytes back from position 0/);
    expect(() => decompressLznt1(Uint8Array.from([...header(100, true), 0x00, 0x61]), 16)).toThrow(
      /runs past the end of its compression unit/,
    );
  });
});

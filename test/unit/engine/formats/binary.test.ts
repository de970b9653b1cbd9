import { describe, expect, it } from 'vitest';
import {
  crc32c,
  guidMixedEndian,
  safeNumber,
  utf16,
} from '../../../../src-main/engine/formats/binary';
import { LruCache, cachedLoad } from '../../../../src-main/engine/formats/lru-cache';
import { bitRun } from '../../../../src-main/engine/formats/sector-bitmap';

describe('binary helpers', () => {
  it('computes CRC-32C (the VHDX checksum) of the standard check string', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('formats GPT/VHDX mixed-endian GUIDs as partitioning tools print them', () => {
    const efi = Buffer.from('28732ac11ff8d211ba4b00a0c93ec93b', 'hex');
    expect(guidMixedEndian(efi, 0)).toBe('C12A7328-F81F-11D2-BA4B-00A0C93EC93B');
  });

  it('refuses 64-bit values a number cannot hold exactly', () => {
    expect(safeNumber(2n ** 53n - 1n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(safeNumber(2n ** 53n)).toBeUndefined();
  });

  it('decodes UTF-16 names up to their NUL', () => {
    const name = Buffer.concat([Buffer.from('Données', 'utf16le'), Buffer.alloc(8)]);
    expect(utf16(name, 0, name.length, true)).toBe('Données');
  });
});

describe('sector bitmaps', () => {
  it('finds runs most-significant-bit first (VHD) and least-significant-bit first (VHDX)', () => {
    const bitmap = Uint8Array.from([0b1110_0000, 0xff, 0x00]);
    expect(bitRun(bitmap, 0, 24, true)).toEqual({ set: true, sectors: 3 });
    expect(bitRun(bitmap, 3, 21, true)).toEqual({ set: false, sectors: 5 });
    expect(bitRun(bitmap, 8, 16, true)).toEqual({ set: true, sectors: 8 });
    expect(bitRun(bitmap, 0, 24, false)).toEqual({ set: false, sectors: 5 });
    expect(bitRun(bitmap, 5, 19, false)).toEqual({ set: true, sectors: 11 });
  });
});

describe('LRU cache', () => {
  it('evicts the least recently used entry', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
  });

  it('shares one load between concurrent readers and forgets failed loads', async () => {
    const cache = new LruCache<string, Promise<number>>(4);
    let loads = 0;
    const load = () => cachedLoad(cache, 'k', async () => ++loads);
    expect(await Promise.all([load(), load()])).toEqual([1, 1]);
    const failing = cachedLoad(cache, 'bad', () => Promise.reject(new Error('disk error')));
    await expect(failing).rejects.toThrow('disk error');
    expect(cache.get('bad')).toBeUndefined();
  });
});

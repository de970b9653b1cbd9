import { describe, expect, it } from 'vitest';
import { catalogingMessage } from '../../../../src-main/engine/file-catalog/catalog-phase';

describe('catalogingMessage', () => {
  it('says how far the walk is by the volume’s own count, never 100 % before the end', () => {
    expect(
      catalogingMessage({ volume: 'vda1', files: 9000, entries: 10_000, expected: 25_000 }),
    ).toBe('vda1: 9000 files indexed (about 40 %)');
    // Counters lag on a crash-consistent copy: more entries than counted stays below 100 %.
    expect(catalogingMessage({ volume: 'vda1', files: 30, entries: 31, expected: 30 })).toBe(
      'vda1: 30 files indexed (about 99 %)',
    );
  });

  it('gives the count alone where the file system keeps none (NTFS, FAT)', () => {
    expect(catalogingMessage({ volume: 'sda2', files: 512, entries: 600 })).toBe(
      'sda2: 512 files indexed',
    );
  });
});

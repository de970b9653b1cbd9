import { describe, expect, it } from 'vitest';
import {
  parseFatDirectory,
  shortNameChecksum,
} from '../../../../../src-main/engine/filesystems/fat/directory';

function shortEntry(
  name11: string,
  attr = 0x20,
  extra: (v: DataView) => void = () => {},
): Uint8Array {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 11; i++) bytes[i] = name11.charCodeAt(i);
  bytes[11] = attr;
  const v = new DataView(bytes.buffer);
  v.setUint16(26, 5, true); // first cluster
  v.setUint32(28, 42, true); // size
  v.setUint16(24, ((2019 - 1980) << 9) | (7 << 5) | 8, true); // 2019-07-08
  v.setUint16(22, (9 << 11) | (10 << 5) | 6, true); // 09:10:12
  extra(v);
  return bytes;
}

/** The long-name entries for `name`, last part first, as VFAT writes them before the short entry. */
function longEntries(name: string, checksum: number): Uint8Array[] {
  const units = Array.from(name, (c) => c.charCodeAt(0));
  const parts: Uint8Array[] = [];
  const count = Math.ceil(units.length / 13);
  for (let n = 1; n <= count; n++) {
    const e = new Uint8Array(32);
    const v = new DataView(e.buffer);
    e[0] = n | (n === count ? 0x40 : 0);
    e[11] = 0x0f;
    e[13] = checksum;
    [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30].forEach((at, i) => {
      const idx = (n - 1) * 13 + i;
      v.setUint16(at, idx < units.length ? units[idx]! : idx === units.length ? 0 : 0xffff, true);
    });
    parts.unshift(e);
  }
  return parts;
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 64));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out; // the zeroed tail ends the directory
};

describe('FAT directory entries', () => {
  it('joins long names whose checksum matches the short name', () => {
    const short = shortEntry('AFILEW~1TXT');
    const bytes = concat(
      ...longEntries('A file with a long name ünï.txt', shortNameChecksum(short)),
      short,
    );
    const { entries } = parseFatDirectory(bytes, 'test');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      name: 'A file with a long name ünï.txt',
      firstCluster: 5,
      size: 42,
      modified: new Date('2019-07-08T09:10:12Z'),
    });
  });

  it('falls back to the short name when the long name is orphaned', () => {
    const short = shortEntry('README  TXT');
    const { entries } = parseFatDirectory(
      concat(...longEntries('stale name.txt', 0x12), short),
      'test',
    );
    expect(entries.map((e) => e.name)).toEqual(['README.TXT']);
  });

  it('applies NT lower-case flags, 0x05 escapes, and skips deleted, dot and label entries', () => {
    const lower = shortEntry('LOWER   TXT', 0x20, (v) => v.setUint8(12, 0x18));
    const e5 = shortEntry('\x05BC     DAT');
    const deleted = shortEntry('\xe5ONE    TXT');
    const dot = shortEntry('.          ', 0x10);
    const label = shortEntry('MY VOLUME  ', 0x08);
    const { entries, label: found } = parseFatDirectory(
      concat(label, dot, deleted, lower, e5),
      'test',
    );
    expect(entries.map((e) => e.name)).toEqual(['lower.txt', 'σBC.DAT']);
    expect(found).toBe('MY VOLUME');
  });

  it('stops at the end-of-directory marker', () => {
    const bytes = concat(shortEntry('ONE     TXT'), new Uint8Array(32), shortEntry('TWO     TXT'));
    expect(parseFatDirectory(bytes, 'test').entries.map((e) => e.name)).toEqual(['ONE.TXT']);
  });
});

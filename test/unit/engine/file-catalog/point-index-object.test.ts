import { describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../../shared/errors';
import type { FileExtent } from '../../../../src-main/engine/filesystems/filesystem';
import type { CatalogRecord } from '../../../../src-main/engine/file-catalog/catalog-record';
import { globToLike, globToRegExp } from '../../../../src-main/engine/file-catalog/catalog-search';
import {
  decodeExtents,
  encodeExtents,
} from '../../../../src-main/engine/file-catalog/extent-codec';
import {
  PointIndexEncoder,
  decodePointIndex,
} from '../../../../src-main/engine/file-catalog/point-index-object';

const EXTENTS: FileExtent[] = [
  { kind: 'data', fileOffset: 0, length: 4096, volumeOffset: 2 ** 40 + 512 },
  { kind: 'hole', fileOffset: 4096, length: 2 ** 33 },
  { kind: 'inline', fileOffset: 2 ** 33 + 4096, length: 3, data: Uint8Array.of(1, 2, 3) },
  {
    kind: 'lznt1',
    fileOffset: 2 ** 33 + 4099,
    length: 65536,
    runs: [
      { volumeOffset: 1 << 20, length: 4096 },
      { volumeOffset: 3 << 20, length: 8192 },
    ],
  },
];

const record = (parent: number, name: string, type: CatalogRecord['type']): CatalogRecord => ({
  parent,
  name,
  type,
  size: type === 'file' ? 12 : 0,
  mtimeMs: 1714564800000,
  mode: 0o640,
  uid: 1000,
  gid: 100,
  owner: null,
  acl: null,
  link: null,
  attrs: type === 'file' ? 'hidden,ads:Zone.Identifier' : null,
  fsId: 12,
  extents: type === 'file' ? encodeExtents(EXTENTS) : null,
});

describe('extent lists', () => {
  it('round-trip every kind of extent, offsets beyond 32 bits included', () => {
    expect(decodeExtents(encodeExtents(EXTENTS))).toEqual(EXTENTS);
  });

  it('refuse damaged bytes with an error naming the extent list', () => {
    const bytes = encodeExtents(EXTENTS);
    expect(() => decodeExtents(bytes.subarray(0, bytes.length - 2))).toThrow(/extent list/);
    expect(() =>
      decodeExtents(Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1)),
    ).toThrow(HyperkeepError);
    expect(() => decodeExtents(Uint8Array.of(9, 0))).toThrow(/version 9/);
    expect(() => decodeExtents(Uint8Array.of(1, 1, 7, 0, 0))).toThrow(/unknown extent kind/);
  });
});

describe('the file index object of a point', () => {
  it('round-trips records per volume, parents first', () => {
    const encoder = new PointIndexEncoder();
    const vda1 = [
      record(-1, '', 'dir'),
      record(0, 'home', 'dir'),
      record(1, 'Überblick.txt', 'file'),
    ];
    encoder.add(0, vda1);
    const mark = encoder.mark();
    encoder.add(1, [record(-1, '', 'dir')]);
    encoder.rollback(mark); // vdb failed halfway: its records go
    const bytes = encoder.finish({
      point: 'p1',
      volumes: [
        {
          name: 'vda1',
          disk: 'vda',
          offsetBytes: 1 << 20,
          sizeBytes: 1 << 30,
          indexed: true,
          files: 1,
        },
        {
          name: 'vdb',
          disk: 'vdb',
          offsetBytes: 0,
          sizeBytes: 1 << 30,
          indexed: false,
          error: 'bad',
        },
      ],
      accounts: { users: { '1000': 'alice' }, groups: {} },
      guest: null,
    });
    const decoded = decodePointIndex(bytes, 'p1');
    expect(decoded.header.volumes.map((v) => v.name)).toEqual(['vda1', 'vdb']);
    const records = [...decoded.records()];
    expect(records.map((r) => r.volume)).toEqual([0, 0, 0]);
    expect(
      records.map((r) => ({ ...r.record, extents: r.record.extents && [...r.record.extents] })),
    ).toEqual(vda1.map((r) => ({ ...r, extents: r.extents && [...r.extents] })));
  });

  it('refuses an index of another point or a damaged line', () => {
    const encoder = new PointIndexEncoder();
    encoder.add(0, [record(-1, '', 'dir')]);
    const header = {
      point: 'p1',
      volumes: [{ name: 'vda1', disk: 'vda', offsetBytes: 0, sizeBytes: 1, indexed: true }],
      accounts: { users: {}, groups: {} },
      guest: null,
    };
    const bytes = encoder.finish(header);
    expect(() => decodePointIndex(bytes, 'p2')).toThrow(/describes point p1/);
    const damaged = Buffer.concat([Buffer.from(bytes), Buffer.from('[0, "x"]\n')]);
    expect(() => [...decodePointIndex(damaged, 'p1').records()]).toThrow(
      /line 3 is not a file record/,
    );
    const badVolume = Buffer.concat([
      Buffer.from(bytes),
      Buffer.from('[5,-1,"",1,0,null,null,null,null,null,null,null,null,2,null]\n'),
    ]);
    expect(() => [...decodePointIndex(badVolume, 'p1').records()]).toThrow(/names volume 5/);
  });
});

describe('glob patterns', () => {
  it('match whole names, case-insensitively, with * and ?', () => {
    const re = globToRegExp('report-202?.PDF');
    expect(re.test('Report-2024.pdf')).toBe(true);
    expect(re.test('report-2024.pdf.bak')).toBe(false);
    expect(globToRegExp('*.txt').test('RÉSUMÉ.TXT')).toBe(true);
    expect(globToRegExp('a+b(1).txt').test('a+b(1).txt')).toBe(true);
    expect(globToLike('*Notes?.TXT')).toBe('%notes_.txt');
  });
});

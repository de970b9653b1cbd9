import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../../src-main/engine/repository/binary';
import {
  decodeIndexFile,
  encodeIndexFile,
} from '../../../../src-main/engine/repository/chunk-index';
import {
  clipRuns,
  decodeDiskMap,
  encodeDiskMap,
  mergeRanges,
  type DiskMap,
} from '../../../../src-main/engine/repository/disk-map';
import { generateKeys, sealParamsOf } from '../../../../src-main/engine/repository/keys';
import {
  BlobType,
  FOOTER_BYTES,
  PackBuilder,
  packIdOf,
  parsePackFooter,
  parsePackTrailer,
} from '../../../../src-main/engine/repository/pack-format';
import { SealError } from '../../../../src-main/engine/repository/sealing';

const seal = sealParamsOf(generateKeys(true), 3);
const hexId = () => randomBytes(32).toString('hex');

describe('pack files', () => {
  it('find their blob table from the end and hash to their id', () => {
    const builder = new PackBuilder();
    const blobs = [randomBytes(1000), randomBytes(5000)];
    const ids = blobs.map(() => hexId());
    blobs.forEach((b, i) => builder.add(ids[i]!, BlobType.Data, b, b.length + 10));
    const { id, parts, size, entries } = builder.finish(seal);
    const bytes = Buffer.concat(parts);
    expect(bytes.length).toBe(size);
    // The id hashed blob by blob is the hash of the whole pack, as verify computes it.
    expect(packIdOf(bytes)).toBe(id);
    expect(Buffer.from(bytes.subarray(0, 8)).toString()).toBe('HKPACK01');
    const trailerLength = parsePackFooter(
      bytes.subarray(bytes.length - FOOTER_BYTES),
      bytes.length,
      'pack',
    );
    const trailer = bytes.subarray(
      bytes.length - FOOTER_BYTES - trailerLength,
      bytes.length - FOOTER_BYTES,
    );
    const table = parsePackTrailer(trailer, bytes.length, seal, 'pack');
    expect(table).toEqual(entries);
    expect(table.map((e) => e.id)).toEqual(ids);
    expect(
      Buffer.from(bytes.subarray(table[1]!.offset, table[1]!.offset + table[1]!.length)).equals(
        blobs[1]!,
      ),
    ).toBe(true);
  });

  it('reject a footer that points outside the pack and a trailer from another repository', () => {
    const bytes = Buffer.concat(new PackBuilder().finish(seal).parts);
    const footer = Uint8Array.from(bytes.subarray(bytes.length - FOOTER_BYTES));
    footer[0] = 0xff;
    footer[1] = 0xff;
    expect(() => parsePackFooter(footer, bytes.length, 'pack x')).toThrow(FormatError);
    const trailerLength = parsePackFooter(
      bytes.subarray(bytes.length - FOOTER_BYTES),
      bytes.length,
      'pack',
    );
    const trailer = bytes.subarray(
      bytes.length - FOOTER_BYTES - trailerLength,
      bytes.length - FOOTER_BYTES,
    );
    expect(() =>
      parsePackTrailer(trailer, bytes.length, sealParamsOf(generateKeys(true), 3), 'pack'),
    ).toThrow(SealError);
  });
});

describe('index files', () => {
  it('round-trip and bounds-check blob positions against the pack size', () => {
    const packs = [
      {
        id: hexId(),
        size: 10_000,
        blobs: [{ id: hexId(), type: BlobType.Data, offset: 8, length: 900, rawLength: 4096 }],
      },
      {
        id: hexId(),
        size: 20_000,
        blobs: [{ id: hexId(), type: BlobType.DiskMap, offset: 8, length: 19_000, rawLength: 50 }],
      },
    ];
    expect(decodeIndexFile(encodeIndexFile(packs, seal), seal, 'i')).toEqual(packs);
    const broken = [{ ...packs[0]!, size: 100 }];
    expect(() => decodeIndexFile(encodeIndexFile(broken, seal), seal, 'i')).toThrow(
      /outside the pack/,
    );
  });
});

describe('disk maps', () => {
  const a = hexId();
  const b = hexId();
  const map: DiskMap = {
    sizeBytes: 10 * 2 ** 40, // 10 TiB: offsets beyond 32 bits
    runs: [
      { offset: 0, length: 4096, chunk: a, chunkOffset: 0 },
      { offset: 2 ** 33, length: 1000, chunk: b, chunkOffset: 24 },
      { offset: 2 ** 33 + 1000, length: 4096, chunk: a, chunkOffset: 0 },
    ],
    allocated: [
      { offset: 0, length: 8192 },
      { offset: 2 ** 33, length: 5096 },
    ],
  };

  it('round-trip, sharing one id entry per distinct chunk', () => {
    const bytes = encodeDiskMap(map);
    expect(decodeDiskMap(bytes, 'map')).toEqual(map);
    expect(bytes.length).toBeLessThan(4 + 4 + 8 + 4 + 2 * 32 + 4 + 3 * 20 + 4 + 2 * 16 + 1);
  });

  it('reject overlapping runs, runs past the disk end, bad chunk numbers and truncation', () => {
    const overlapping = { ...map, runs: [map.runs[0]!, { ...map.runs[0]!, offset: 100 }] };
    expect(() => decodeDiskMap(encodeDiskMap(overlapping), 'm')).toThrow(/overlaps/);
    const pastEnd = { ...map, sizeBytes: 2 ** 33 };
    expect(() => decodeDiskMap(encodeDiskMap(pastEnd), 'm')).toThrow(/disk end/);
    const bytes = encodeDiskMap(map);
    expect(() => decodeDiskMap(bytes.subarray(0, bytes.length - 3), 'm')).toThrow(
      /only 29 bytes left/,
    );
    expect(() => decodeDiskMap(bytes.subarray(0, 10), 'm')).toThrow(/truncated/);
    const badIndex = Uint8Array.from(bytes);
    // The first run's chunk index sits after magic, version, size, id table, run count, offset, length.
    new DataView(badIndex.buffer).setUint32(4 + 4 + 8 + 4 + 64 + 4 + 8 + 4, 7, true);
    expect(() => decodeDiskMap(badIndex, 'm')).toThrow(/names chunk #7/);
    const huge = Uint8Array.from(bytes);
    new DataView(huge.buffer).setUint32(16, 0xffffffff, true);
    expect(() => decodeDiskMap(huge, 'm')).toThrow(/records/);
  });

  it('clip runs at range edges, adjusting the offset inside the chunk', () => {
    expect(clipRuns(map.runs, 100, 2 ** 33 + 10)).toEqual([
      { offset: 100, length: 3996, chunk: a, chunkOffset: 100 },
      { offset: 2 ** 33, length: 10, chunk: b, chunkOffset: 24 },
    ]);
    expect(
      mergeRanges([
        { offset: 10, length: 5 },
        { offset: 0, length: 10 },
        { offset: 30, length: 1 },
      ]),
    ).toEqual([
      { offset: 0, length: 15 },
      { offset: 30, length: 1 },
    ]);
  });
});

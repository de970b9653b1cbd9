import { copyFile, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiskFormat, Extent } from '../../../src-main/engine/formats/disk-image';
import { openDiskImage } from '../../../src-main/engine/formats/open-image';
import { RawImage } from '../../../src-main/engine/formats/raw/raw-image';
import { convertRaw, isZero, makeTestDisk, prng, qemuImg, sha256Of } from './test-disks';

/** Every format qemu-img writes, converted from one partitioned raw disk, must read back identically. */
interface Variant {
  name: string;
  format: DiskFormat;
  file: string;
  options: string[];
  /** qemu-img map reports allocation for this variant the way we do (sparse, no file-system holes). */
  compareMap: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'qcow2', format: 'qcow2', file: 'd.qcow2', options: [], compareMap: true },
  {
    name: 'qcow2 v2 (compat=0.10)',
    format: 'qcow2',
    file: 'v2.qcow2',
    options: ['-o', 'compat=0.10'],
    compareMap: true,
  },
  {
    name: 'qcow2 zlib compressed',
    format: 'qcow2',
    file: 'zlib.qcow2',
    options: ['-c'],
    compareMap: true,
  },
  {
    name: 'qcow2 zstd compressed',
    format: 'qcow2',
    file: 'zstd.qcow2',
    options: ['-c', '-o', 'compression_type=zstd'],
    compareMap: true,
  },
  {
    name: 'qcow2 4 KiB clusters',
    format: 'qcow2',
    file: 'small.qcow2',
    options: ['-o', 'cluster_size=4096'],
    compareMap: true,
  },
  {
    name: 'qcow2 extended L2',
    format: 'qcow2',
    file: 'extl2.qcow2',
    options: ['-o', 'extended_l2=on,cluster_size=128k'],
    compareMap: true,
  },
  {
    name: 'vmdk monolithicSparse',
    format: 'vmdk',
    file: 'sparse.vmdk',
    options: ['-o', 'subformat=monolithicSparse'],
    compareMap: true,
  },
  {
    name: 'vmdk streamOptimized',
    format: 'vmdk',
    file: 'stream.vmdk',
    options: ['-o', 'subformat=streamOptimized'],
    compareMap: true,
  },
  {
    name: 'vmdk monolithicFlat',
    format: 'vmdk',
    file: 'flat.vmdk',
    options: ['-o', 'subformat=monolithicFlat'],
    compareMap: false,
  },
  {
    name: 'vmdk twoGbMaxExtentSparse',
    format: 'vmdk',
    file: 'split-sparse.vmdk',
    options: ['-o', 'subformat=twoGbMaxExtentSparse'],
    compareMap: true,
  },
  {
    name: 'vmdk twoGbMaxExtentFlat',
    format: 'vmdk',
    file: 'split-flat.vmdk',
    options: ['-o', 'subformat=twoGbMaxExtentFlat'],
    compareMap: false,
  },
  {
    name: 'vhd dynamic',
    format: 'vpc',
    file: 'dyn.vhd',
    options: ['-o', 'subformat=dynamic,force_size=on'],
    compareMap: true,
  },
  {
    name: 'vhd fixed',
    format: 'vpc',
    file: 'fixed.vhd',
    options: ['-o', 'subformat=fixed,force_size=on'],
    compareMap: false,
  },
  { name: 'vhdx dynamic', format: 'vhdx', file: 'dyn.vhdx', options: [], compareMap: false },
  {
    name: 'vhdx 1 MiB blocks',
    format: 'vhdx',
    file: 'small.vhdx',
    options: ['-o', 'block_size=1M'],
    compareMap: false,
  },
  {
    name: 'vhdx fixed',
    format: 'vhdx',
    file: 'fixed.vhdx',
    options: ['-o', 'subformat=fixed'],
    compareMap: false,
  },
  { name: 'vdi dynamic', format: 'vdi', file: 'dyn.vdi', options: [], compareMap: true },
  {
    name: 'vdi static',
    format: 'vdi',
    file: 'static.vdi',
    options: ['-o', 'static=on'],
    compareMap: false,
  },
];

const QEMU_FORMAT: Record<DiskFormat, string> = {
  raw: 'raw',
  qcow2: 'qcow2',
  vmdk: 'vmdk',
  vpc: 'vpc',
  vhdx: 'vhdx',
  vdi: 'vdi',
};

let dir: string;
let raw: RawImage;
/** The raw disk in memory: reads of each format are compared against it without more I/O. */
let rawBytes: Buffer;
let rawSha: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-formats-'));
  const rawPath = await makeTestDisk(dir, 'gpt');
  raw = await RawImage.open(rawPath);
  rawSha = await sha256Of(raw);
  rawBytes = await readFile(rawPath);
  await Promise.all(
    VARIANTS.map((v) => convertRaw(rawPath, join(dir, v.file), QEMU_FORMAT[v.format], v.options)),
  );
});

afterAll(async () => {
  await raw?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Data ranges as qemu-img map reports them, merged. */
async function qemuDataRanges(path: string): Promise<[number, number][]> {
  const map = JSON.parse(await qemuImg('map', '--output=json', path)) as {
    start: number;
    length: number;
    data: boolean;
  }[];
  return mergeRanges(map.filter((e) => e.data).map((e) => [e.start, e.length]));
}

function mergeRanges(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [start, length] of ranges) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === start) last[1] += length;
    else out.push([start, length]);
  }
  return out;
}

describe.each(VARIANTS)('$name', (variant) => {
  it('is detected and reads byte-identical to the raw disk', async () => {
    const { reader, format, chain } = await openDiskImage(join(dir, variant.file));
    try {
      expect(format).toBe(variant.format);
      expect(chain).toEqual([
        { path: join(dir, variant.file), format: variant.format, virtualSize: raw.size },
      ]);
      expect(reader.size).toBe(raw.size);
      expect(await sha256Of(reader)).toBe(rawSha);
      // Odd offsets and lengths that straddle clusters, grains, blocks and extents.
      const random = prng(42);
      for (let i = 0; i < 80; i++) {
        const length = 1 + Math.floor(random() * (i % 3 === 0 ? 300_000 : 5000));
        const boundary = Math.floor(random() * (raw.size / 65536)) * 65536;
        const offset = Math.min(
          raw.size - length,
          Math.max(0, boundary - Math.floor(random() * 3000)),
        );
        const expected = rawBytes.subarray(offset, offset + length);
        expect(Buffer.from(await reader.read(offset, length)).equals(expected)).toBe(true);
      }
    } finally {
      await reader.close();
    }
  });

  it('maps allocation so that skipping everything but data loses nothing', async () => {
    const { reader } = await openDiskImage(join(dir, variant.file));
    try {
      const map: Extent[] = await reader.allocationMap();
      let pos = 0;
      for (const e of map) {
        expect(e.offset).toBe(pos);
        pos += e.length;
        if (e.kind !== 'data') {
          expect(isZero(rawBytes.subarray(e.offset, e.offset + e.length))).toBe(true);
        }
      }
      expect(pos).toBe(raw.size);
      if (variant.compareMap) {
        const ours = mergeRanges(
          map.filter((e) => e.kind === 'data').map((e) => [e.offset, e.length]),
        );
        expect(ours).toEqual(await qemuDataRanges(join(dir, variant.file)));
      }
    } finally {
      await reader.close();
    }
  });
});

describe('recoverable damage', () => {
  it('reads a monolithicSparse vmdk whose grain directory pointer is broken through the redundant directory', async () => {
    const path = join(dir, 'broken-gd.vmdk');
    await copyFile(join(dir, 'sparse.vmdk'), path);
    const f = await open(path, 'r+');
    const pointer = Buffer.alloc(8);
    pointer.writeBigUInt64LE(0x7fffffffn); // gdOffset, in sectors: far past the end of the file
    await f.write(pointer, 0, 8, 56);
    await f.close();
    const { reader } = await openDiskImage(path);
    try {
      expect(await sha256Of(reader)).toBe(rawSha);
    } finally {
      await reader.close();
    }
  });
});

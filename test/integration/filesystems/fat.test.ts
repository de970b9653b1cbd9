import { mkdir, open, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileSystem } from '../../../src-main/engine/filesystems/detect';
import type { FileSystem, FsEntry } from '../../../src-main/engine/filesystems/filesystem';
import { FileReader } from '../../../src-main/engine/io/file-reader';
import { hostTree, readAll, scratchDir, seededBytes, sha256, tool, walkAll } from './fs-fixtures';

/** mtools reads and writes local time: pin the zone so FAT's zone-less stamps compare exactly. */
const MTOOLS_ENV = { MTOOLS_SKIP_CHECK: '1', TZ: 'UTC' };
const STAMP = new Date('2019-07-08T09:10:12Z'); // even seconds: FAT keeps 2-second resolution

const VARIANTS = [
  { bits: 12, sizeKiB: 4096, mkfs: ['-F', '12'] },
  { bits: 16, sizeKiB: 32768, mkfs: ['-F', '16'] },
  // One sector per cluster puts 64 MiB over the 65525-cluster line: a real FAT32.
  { bits: 32, sizeKiB: 65536, mkfs: ['-F', '32', '-s', '1'] },
] as const;

async function mtool(cmd: string, image: string, ...args: string[]): Promise<void> {
  await tool(cmd, ['-i', image, ...args], MTOOLS_ENV);
}

/** Fills the volume with mtools: long and short names, a fragmented file, a deleted one. */
async function populate(image: string, scratch: string): Promise<void> {
  const src = join(scratch, 'src');
  await mkdir(src, { recursive: true });
  const put = async (name: string, data: string | Uint8Array, target: string): Promise<void> => {
    const file = join(src, name);
    await writeFile(file, data);
    await utimes(file, STAMP, STAMP);
    await mtool('mcopy', image, '-m', file, `::${target}`);
  };
  await mtool('mmd', image, '::/Dir', '::/Dir/Sub', '::/Long Directory Name', '::/Dir/Sub/Deeper');
  await put('a', 'upper case 8.3 name\n', '/UPPER.TXT');
  await put('b', 'lower case 8.3 name\n', '/lower.txt');
  await put('c', 'a long name\n', '/Dir/Sub/A file with a long name.txt');
  await put('d', 'unicode\n', '/Long Directory Name/ünïcödé ✓ 日本.txt');
  await put('e', 'deep\n', '/Dir/Sub/Deeper/deep.txt');
  await put('f', '', '/empty.txt');
  // Fragmentation: free a file between two others, then write one bigger than the gap.
  await put('g', seededBytes(1, 20000), '/gap.bin');
  await put('h', seededBytes(2, 3000), '/after.bin');
  await mtool('mdel', image, '::/gap.bin');
  await forgetNextFreeHint(image);
  await put('i', seededBytes(3, 200_000), '/fragmented.bin');
  await put('j', 'soon deleted, with a long name\n', '/Deleted long name.txt');
  await mtool('mdel', image, '::/Deleted long name.txt');
}

/**
 * FAT32's FSInfo sector remembers where the last allocation ended, so mtools would write past the
 * gap; "unknown" (0xffffffff) makes it search from the start and fill the gap first.
 */
async function forgetNextFreeHint(image: string): Promise<void> {
  const fh = await open(image, 'r+');
  try {
    const boot = Buffer.alloc(512);
    await fh.read(boot, 0, 512, 0);
    if (boot.readUInt16LE(22) !== 0) return; // FAT12/16: no FSInfo
    const hint = Buffer.alloc(4, 0xff);
    await fh.write(hint, 0, 4, boot.readUInt16LE(48) * 512 + 492);
  } finally {
    await fh.close();
  }
}

describe.each(VARIANTS)('FAT$bits reader against mtools', ({ bits, sizeKiB, mkfs }) => {
  let scratch: { path: string; remove: () => Promise<void> };
  let image: string;
  let extracted: string;
  let fs: FileSystem;
  let entries: FsEntry[];

  beforeAll(async () => {
    scratch = await scratchDir(`fat${bits}`);
    image = join(scratch.path, 'fat.img');
    await tool('mkfs.fat', [
      '-C',
      ...mkfs,
      '-n',
      'HK FAT',
      '-i',
      '1234ABCD',
      image,
      String(sizeKiB),
    ]);
    await populate(image, scratch.path);
    extracted = join(scratch.path, 'out');
    await mkdir(extracted);
    await mtool('mcopy', image, '-s', '-n', '-m', '::/*', `${extracted}/`);
    fs = await openFileSystem(await FileReader.open(image));
    entries = await walkAll(fs);
  });
  afterAll(async () => {
    await fs?.close();
    await scratch?.remove();
  });

  it('is detected with its width, label and serial', () => {
    expect(fs.kind).toBe('fat');
    expect(fs.variant).toBe(`FAT${bits}`);
    expect(fs.label).toBe('HK FAT');
    expect(fs.uuid).toBe('1234-ABCD');
  });

  it('holds exactly the tree mtools extracts, with names, sizes, times and bytes', async () => {
    const host = await hostTree(extracted);
    const ours = new Map(entries.filter((e) => e.path !== '/').map((e) => [e.path, e]));
    expect([...ours.keys()].sort()).toEqual([...host.keys()].sort());
    for (const [path, want] of host) {
      const got = ours.get(path)!;
      expect(got.type, path).toBe(want.type);
      if (want.type !== 'file') continue;
      expect(got.size, path).toBe(want.size);
      expect(got.mtime, path).toEqual(STAMP);
      expect(sha256(await readAll(fs, got)), path).toBe(
        sha256(await readFile(join(extracted, path))),
      );
    }
  });

  it('follows a fragmented cluster chain and skips deleted entries', async () => {
    const file = await fs.lookup('/FRAGMENTED.BIN'); // FAT matches names case-insensitively
    expect((await fs.extents(file)).length).toBeGreaterThan(1);
    expect(sha256(await readAll(fs, file))).toBe(sha256(seededBytes(3, 200_000)));
    expect(entries.some((e) => e.name.startsWith('Deleted') || e.name.includes('gap'))).toBe(false);
  });

  it('reports a looping cluster chain as a broken structure', async () => {
    const copy = join(scratch.path, 'loop.img');
    await writeFile(copy, await readFile(image));
    const file = await fs.lookup('/fragmented.bin');
    const first = (await fs.extents(file))[0]!;
    if (first.kind !== 'data') throw new Error('expected a data extent');
    // Point the file's first cluster at itself in every FAT copy.
    const boot = await readFile(copy);
    const reserved = boot.readUInt16LE(14);
    const fats = boot[16]!;
    const fatSectors = boot.readUInt16LE(22) || boot.readUInt32LE(36);
    const cluster = 2 + (first.volumeOffset - dataOffset(boot)) / fs.blockSize;
    const fh = await open(copy, 'r+');
    for (let f = 0; f < fats; f++) {
      const fatStart = (reserved + f * fatSectors) * 512;
      await writeFatEntry(fh, fatStart, bits, cluster, cluster);
    }
    await fh.close();
    const broken = await openFileSystem(await FileReader.open(copy));
    try {
      const entry = await broken.lookup('/fragmented.bin');
      await expect(readAll(broken, entry)).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(
          /^FAT: file \/fragmented.bin has a cluster chain that loops/,
        ),
      });
    } finally {
      await broken.close();
    }
  });
});

function dataOffset(boot: Buffer): number {
  const reserved = boot.readUInt16LE(14);
  const fatSectors = boot.readUInt16LE(22) || boot.readUInt32LE(36);
  const rootSectors = Math.ceil((boot.readUInt16LE(17) * 32) / 512);
  return (reserved + boot[16]! * fatSectors + rootSectors) * 512;
}

async function writeFatEntry(
  fh: Awaited<ReturnType<typeof open>>,
  fatStart: number,
  bits: number,
  cluster: number,
  value: number,
): Promise<void> {
  if (bits === 12) {
    const at = fatStart + cluster + (cluster >> 1);
    const buf = Buffer.alloc(2);
    await fh.read(buf, 0, 2, at);
    let raw = buf.readUInt16LE(0);
    raw = cluster & 1 ? (raw & 0x000f) | (value << 4) : (raw & 0xf000) | value;
    buf.writeUInt16LE(raw, 0);
    await fh.write(buf, 0, 2, at);
  } else if (bits === 16) {
    const buf = Buffer.alloc(2);
    buf.writeUInt16LE(value, 0);
    await fh.write(buf, 0, 2, fatStart + cluster * 2);
  } else {
    const buf = Buffer.alloc(4);
    buf.writeUInt32LE(value, 0);
    await fh.write(buf, 0, 4, fatStart + cluster * 4);
  }
}

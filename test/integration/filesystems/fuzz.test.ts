import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../shared/errors';
import { openFileSystem } from '../../../src-main/engine/filesystems/detect';
import { MemoryReader, fileSystemMetadataSpots, xorshift } from '../../harness/fuzz-input';
import { fuseAvailable, scratchDir, seededBytes, tool } from './fs-fixtures';
import { mkfsXfsFromProto, protoFromHostDir } from './xfs-fixtures';

/** Wall-clock budget per image: the whole fuzz run stays around ten seconds. */
const BUDGET_MS = 1500;
/** Per mutated image: walk at most this many entries and read this much of each file. */
const MAX_ENTRIES = 5000;
const MAX_READ = 64 * 1024;

/** Opens, walks and reads a (possibly corrupt) image; returns how far it got. */
async function exercise(bytes: Uint8Array): Promise<number> {
  const fs = await openFileSystem(new MemoryReader(bytes));
  let seen = 0;
  for await (const entry of fs.walk({ onDirectoryError: () => true })) {
    if (++seen > MAX_ENTRIES) break;
    if (entry.type !== 'file' && entry.type !== 'symlink') continue;
    try {
      await fs.extents(entry);
      await fs.read(entry, 0, MAX_READ);
      for (const stream of entry.streams ?? []) await fs.read(entry, 0, MAX_READ, stream.name);
    } catch (err) {
      expectCleanError(err);
    }
  }
  return seen;
}

/**
 * The only acceptable failures: INVALID_INPUT naming the file system and the broken structure,
 * or the volume no longer looking like any file system at all.
 */
function expectCleanError(err: unknown): void {
  const clean = /^(ext|XFS|NTFS|FAT): \S|^The volume holds /;
  if (err instanceof HyperkeepError && err.code === 'INVALID_INPUT' && clean.test(err.message))
    return;
  throw err;
}

async function fuzz(image: Uint8Array, seed: number): Promise<{ runs: number; opened: number }> {
  const random = xorshift(seed);
  const spots = await fileSystemMetadataSpots(image);
  const deadline = Date.now() + BUDGET_MS;
  let runs = 0;
  let opened = 0;
  while (Date.now() < deadline) {
    // Mutate in place and undo afterwards: copying a 40 MiB FAT32 image per run costs too much.
    const saved: [number, number][] = [];
    const flips = 1 + Math.floor(random() * 8);
    for (let i = 0; i < flips; i++) {
      const at = spots[Math.floor(random() * spots.length)]!;
      saved.push([at, image[at]!]);
      image[at] =
        random() < 0.5 ? Math.floor(random() * 256) : image[at]! ^ (1 << Math.floor(random() * 8));
    }
    runs++;
    try {
      if ((await exercise(image)) > 0) opened++;
    } catch (err) {
      try {
        expectCleanError(err);
      } catch (unexpected) {
        throw new Error(`seed ${seed}, run ${runs}: ${String(unexpected)}`, { cause: unexpected });
      }
    } finally {
      for (const [at, value] of saved.reverse()) image[at] = value;
    }
  }
  return { runs, opened };
}

describe('file-system readers on corrupted images', () => {
  let scratch: { path: string; remove: () => Promise<void> };
  let src: string;
  beforeAll(async () => {
    scratch = await scratchDir('fuzz');
    src = join(scratch.path, 'src');
    await mkdir(join(src, 'dir/sub'), { recursive: true });
    for (let i = 0; i < 40; i++)
      await writeFile(join(src, 'dir', `file-${i}.txt`), `content ${i}\n`.repeat(i));
    await writeFile(join(src, 'dir/sub/blob.bin'), seededBytes(9, 70_000));
  });
  afterAll(() => scratch?.remove());

  const images: { name: string; build: (image: string) => Promise<void> }[] = [
    {
      name: 'ext4',
      build: (img) =>
        tool('mkfs.ext4', ['-q', '-F', '-O', 'inline_data', '-d', src, img, '4M']).then(
          () => undefined,
        ),
    },
    {
      name: 'ext2',
      build: (img) =>
        tool('mkfs.ext2', ['-q', '-F', '-b', '1024', '-d', src, img, '4M']).then(() => undefined),
    },
    {
      // v5 checksums its metadata: most corruptions stop at a checksum, the rest at the parser.
      name: 'XFS v5',
      build: async (img) =>
        mkfsXfsFromProto(img, '16M', await protoFromHostDir(src), `${img}.proto`),
    },
    {
      // v4 has no checksums: every mutation reaches the parser.
      name: 'XFS v4',
      build: async (img) =>
        mkfsXfsFromProto(img, '16M', await protoFromHostDir(src), `${img}.proto`, ['-m', 'crc=0']),
    },
    {
      name: 'NTFS',
      build: async (img) => {
        await tool('truncate', ['-s', '4M', img]);
        await tool('mkntfs', ['-F', '-f', '-q', '-s', '512', '-c', '1024', img]);
        if (fuseAvailable()) {
          // Directories with INDX blocks need a FUSE mount; without one, root files only.
          const mnt = join(scratch.path, 'mnt');
          await mkdir(mnt, { recursive: true });
          await tool('ntfs-3g', [img, mnt]);
          await tool('cp', ['-r', join(src, 'dir'), mnt]).finally(() =>
            tool('fusermount', ['-u', mnt]),
          );
        } else {
          for (const name of ['file-3.txt', 'file-39.txt']) {
            await tool('ntfscp', ['-f', img, join(src, 'dir', name), `/${name}`]);
          }
        }
        await tool('ntfscp', ['-f', img, join(src, 'dir/sub/blob.bin'), '/blob.bin']);
        await tool('ntfscp', ['-f', '-N', 'ads', img, join(src, 'dir/file-5.txt'), '/blob.bin']);
      },
    },
    {
      name: 'FAT12',
      build: async (img) => {
        await tool('mkfs.fat', ['-C', '-F', '12', img, '2048']);
        await tool('mcopy', ['-s', '-i', img, join(src, 'dir'), '::/'], { MTOOLS_SKIP_CHECK: '1' });
      },
    },
    {
      name: 'FAT32',
      build: async (img) => {
        await tool('mkfs.fat', ['-C', '-F', '32', '-s', '1', img, '40000']);
        await tool('mcopy', ['-s', '-i', img, join(src, 'dir'), '::/'], { MTOOLS_SKIP_CHECK: '1' });
      },
    },
  ];

  it.each(images)('$name: only clean INVALID_INPUT errors, no hang', async ({ name, build }) => {
    const path = join(scratch.path, `${name}.img`);
    await build(path);
    const image = new Uint8Array(await readFile(path));
    // The pristine image must read fully, or the fuzz run would prove nothing.
    expect(await exercise(image)).toBeGreaterThan(3);
    const { runs, opened } = await fuzz(image, 0x5eed + name.length);
    expect(runs).toBeGreaterThan(10);
    expect(opened).toBeGreaterThan(0);
  });
});

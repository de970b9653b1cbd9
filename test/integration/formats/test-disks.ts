import { createHash } from 'node:crypto';
import { cp, mkdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../harness/exec';
import { deterministicBytes } from '../../harness/image-recipes';

/**
 * Real partitioned disks for the format and volume tests, made with the same tools an
 * administrator would use (sfdisk, mkfs.ext4 -d, mkfs.fat + mtools, mkswap) and converted with
 * qemu-img. 48 MiB each: big enough for several L2 tables, grain tables and VHD blocks, small
 * enough to build in well under a second.
 */
export const DISK_MIB = 48;
const SECTOR = 512;

export type TableKind = 'gpt' | 'dos';

/** Partitions in sectors; `fs` says what is written into each. */
export const LAYOUTS: Record<
  TableKind,
  { script: string; fills: { start: number; size: number; fs: 'ext4' | 'fat' | 'swap' }[] }
> = {
  gpt: {
    script: [
      'label: gpt',
      'label-id: 5A0C6F1E-7B2D-4C3A-9E1F-0A1B2C3D4E99',
      'start=2048, size=40960, type=L, name="root"',
      'start=43008, size=16384, type=U, name="EFI system"',
      'start=59392, size=4096, type=S, name="swap"',
      'start=71680, size=16384, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name="Données"',
    ].join('\n'),
    fills: [
      { start: 2048, size: 40960, fs: 'ext4' },
      { start: 43008, size: 16384, fs: 'fat' },
      { start: 59392, size: 4096, fs: 'swap' },
      { start: 71680, size: 16384, fs: 'fat' },
    ],
  },
  dos: {
    script: [
      'label: dos',
      'label-id: 0x1234abcd',
      'start=2048, size=40960, type=83, bootable',
      'start=43008, size=49152, type=5',
      'start=45056, size=16384, type=c',
      'start=63488, size=16384, type=82',
    ].join('\n'),
    fills: [
      { start: 2048, size: 40960, fs: 'ext4' },
      { start: 45056, size: 16384, fs: 'fat' },
      { start: 63488, size: 16384, fs: 'swap' },
    ],
  },
};

/** Files to put on the test file systems: real documentation text, random data and a sparse file. */
async function makeContent(dir: string): Promise<string> {
  const content = join(dir, 'content');
  await mkdir(content, { recursive: true });
  for (const pkg of ['bash', 'coreutils', 'e2fsprogs', 'util-linux', 'qemu-utils', 'fdisk']) {
    const from = join('/usr/share/doc', pkg);
    if (await stat(from).catch(() => undefined))
      await cp(from, join(content, pkg), { recursive: true, dereference: true });
  }
  await writeFile(join(content, 'random.bin'), deterministicBytes(7, 3 << 20));
  await writeFile(
    join(content, 'notes.txt'),
    'Renew the TLS certificate before June.\n'.repeat(2000),
  );
  // A file with a hole in the middle: only its first and last blocks are allocated.
  const sparse = join(content, 'sparse.bin');
  await writeFile(sparse, deterministicBytes(9, 4096));
  await truncate(sparse, 5 << 20);
  return content;
}

/** Builds a partitioned raw disk at dir/disk-<kind>.raw with file systems in every partition. */
export async function makeTestDisk(dir: string, kind: TableKind): Promise<string> {
  const disk = join(dir, `disk-${kind}.raw`);
  await writeFile(disk, '');
  await truncate(disk, DISK_MIB << 20);
  const layout = LAYOUTS[kind];
  await run('sfdisk', ['-q', disk], { input: `${layout.script}\n` });
  const content = await makeContent(dir);
  for (const fill of layout.fills) {
    const offset = fill.start * SECTOR;
    const kib = (fill.size * SECTOR) / 1024;
    if (fill.fs === 'ext4') {
      await run('mkfs.ext4', [
        '-F',
        '-q',
        '-d',
        content,
        '-E',
        `offset=${offset}`,
        disk,
        `${kib}k`,
      ]);
    } else if (fill.fs === 'fat') {
      await run('mkfs.fat', ['--offset', String(fill.start), disk, String(kib)]);
      await run('mcopy', [
        '-s',
        '-i',
        `${disk}@@${offset}`,
        join(content, 'bash'),
        join(content, 'random.bin'),
        '::/',
      ]);
    } else {
      const swap = join(dir, 'swap.img');
      await writeFile(swap, '');
      await truncate(swap, fill.size * SECTOR);
      await run('mkswap', ['-q', swap]);
      await run('dd', [
        `if=${swap}`,
        `of=${disk}`,
        'bs=512',
        `seek=${fill.start}`,
        'conv=notrunc',
        'status=none',
      ]);
    }
  }
  return disk;
}

export async function qemuImg(...args: string[]): Promise<string> {
  return (await run('qemu-img', args)).stdout;
}

/** `qemu-img convert` of a raw disk; returns the output path. */
export async function convertRaw(
  raw: string,
  out: string,
  format: string,
  options: string[] = [],
): Promise<string> {
  await qemuImg('convert', '-f', 'raw', '-O', format, ...options, raw, out);
  return out;
}

export interface Readable {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export async function sha256Of(reader: Readable, chunk = 4 << 20): Promise<string> {
  const h = createHash('sha256');
  for (let o = 0; o < reader.size; o += chunk)
    h.update(await reader.read(o, Math.min(chunk, reader.size - o)));
  return h.digest('hex');
}

/** A small seeded PRNG (mulberry32) so random-offset tests and the fuzzer are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ZEROS = Buffer.alloc(1 << 20);

/** Whether every byte is zero, a megabyte at a time with memcmp rather than a JS loop. */
export function isZero(bytes: Uint8Array): boolean {
  for (let at = 0; at < bytes.length; at += ZEROS.length) {
    const piece = bytes.subarray(at, Math.min(bytes.length, at + ZEROS.length));
    if (Buffer.compare(piece, ZEROS.subarray(0, piece.length)) !== 0) return false;
  }
  return true;
}

/** The dirty bitmap the fuzz seeds carry: changedSince reads it from every qcow2 input. */
export const FUZZ_BITMAP = 'fuzz-bitmap';

/**
 * Adds an enabled persistent dirty bitmap to a qcow2 image and writes 8 KiB through qemu-io,
 * which records the write in it: an image as a VM stopped after a checkpoint leaves it.
 */
export async function addDirtyBitmap(image: string, name = FUZZ_BITMAP): Promise<void> {
  await qemuImg('bitmap', '--add', '-g', '4096', image, name);
  await run('qemu-io', ['-c', 'write -P 0x42 64k 8k', image]);
}

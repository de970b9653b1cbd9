import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, open, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageFormat } from '../../../shared/domain/restore';
import type { DiskFormat } from '../../../src-main/engine/formats/disk-image';
import { openDiskImage } from '../../../src-main/engine/formats/open-image';
import { RawImage } from '../../../src-main/engine/formats/raw/raw-image';
import {
  createImageWriter,
  type ImageWriterOptions,
} from '../../../src-main/engine/formats/writers/index';
import { run } from '../../harness/exec';
import { deterministicBytes } from '../../harness/image-recipes';
import { isZero, qemuImg, sha256Of } from './test-disks';

/**
 * Restores write volumes and disks into image files through these writers. Each image is checked
 * by qemu itself (check, info, compare, qemu-io) and read back with Hyperkeep's own readers.
 */

interface Variant {
  name: string;
  format: ImageFormat;
  options: ImageWriterOptions;
}
const VARIANTS: Variant[] = [
  { name: 'raw', format: 'raw', options: {} },
  { name: 'qcow2', format: 'qcow2', options: {} },
  { name: 'vmdk', format: 'vmdk', options: {} },
  {
    name: 'vmdk streamOptimized',
    format: 'vmdk',
    options: { vmdkSubformat: 'streamOptimized' },
  },
  { name: 'vhd', format: 'vhd', options: {} },
  { name: 'vhdx', format: 'vhdx', options: {} },
];
const QEMU_NAME: Record<ImageFormat, string> = {
  raw: 'raw',
  qcow2: 'qcow2',
  vmdk: 'vmdk',
  vhd: 'vpc',
  vhdx: 'vhdx',
};
const READER_FORMAT: Record<ImageFormat, DiskFormat> = {
  raw: 'raw',
  qcow2: 'qcow2',
  vmdk: 'vmdk',
  vhd: 'vpc',
  vhdx: 'vhdx',
};
/** Formats `qemu-img check` can check. */
const CHECKABLE = new Set<ImageFormat>(['qcow2', 'vmdk', 'vhdx']);

const KiB = 1024;
const MiB = 1024 * KiB;
/** Not a multiple of 64 KiB, 2 MiB or 32 MiB: the last cluster, grain and block are partial. */
const DISK_BYTES = 64 * MiB + 1536;

let dir: string;
let source: string;
let sourceSha: string;

/** An ext4 file system made by mkfs.ext4 -d, with free space (holes) and data in the last bytes. */
async function makeSourceDisk(): Promise<string> {
  const content = join(dir, 'content');
  await mkdir(content);
  for (const pkg of ['bash', 'coreutils', 'e2fsprogs']) {
    await cp(join('/usr/share/doc', pkg), join(content, pkg), {
      recursive: true,
      dereference: true,
    }).catch(() => undefined);
  }
  await writeFile(join(content, 'random.bin'), deterministicBytes(11, 5 * MiB));
  await writeFile(join(content, 'sparse.bin'), deterministicBytes(12, 4096));
  await truncate(join(content, 'sparse.bin'), 8 * MiB);
  const disk = join(dir, 'source.raw');
  await writeFile(disk, '');
  await truncate(disk, DISK_BYTES);
  await run('mkfs.ext4', [
    '-q',
    '-F',
    '-d',
    content,
    disk,
    `${Math.floor(DISK_BYTES / 4096) * 4}k`,
  ]);
  // ext4 ends on a 4 KiB boundary: the 1536 bytes after it are free to mark the disk's very end.
  const handle = await open(disk, 'r+');
  await handle.write(Buffer.alloc(1536, 0x5a), 0, 1536, DISK_BYTES - 1536);
  await handle.close();
  return disk;
}

/**
 * Feeds a raw file to a writer the way a restore does: 64 KiB-aligned writes of varying sizes in
 * increasing order, skipping some all-zero chunks and passing others through.
 */
async function writeImage(variant: Variant, from: string, to: string): Promise<void> {
  const input = await open(from, 'r');
  const size = (await input.stat()).size;
  const writer = await createImageWriter(variant.format, to, size, variant.options);
  try {
    const sizes = [64 * KiB, 1 * MiB, 4 * MiB + 64 * KiB, 192 * KiB];
    const buffer = Buffer.alloc(8 * MiB);
    for (let offset = 0, n = 0; offset < size; n++) {
      const length = Math.min(sizes[n % sizes.length]!, size - offset);
      const chunk = buffer.subarray(0, length);
      await input.read(chunk, 0, length, offset);
      if (!(n % 2 === 0 && isZero(chunk))) await writer.write(offset, chunk);
      offset += length;
    }
    await writer.finish();
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    await input.close();
  }
}

async function qemuCheckClean(format: ImageFormat, path: string): Promise<void> {
  if (!CHECKABLE.has(format)) return;
  // Exit status 2 (errors) or 3 (leaks) makes run() throw with qemu-img's own report.
  const report = JSON.parse(
    await qemuImg('check', '--output=json', '-f', QEMU_NAME[format], path),
  ) as Record<string, unknown>;
  expect(report['check-errors']).toBe(0);
  expect(report['corruptions'] ?? 0).toBe(0);
  expect(report['leaks'] ?? 0).toBe(0);
}

async function qemuVirtualSize(format: ImageFormat, path: string): Promise<number> {
  const info = JSON.parse(
    await qemuImg('info', '--output=json', '-f', QEMU_NAME[format], path),
  ) as { 'virtual-size': number };
  return info['virtual-size'];
}

async function qemuCompare(format: ImageFormat, raw: string, image: string): Promise<string> {
  return qemuImg('compare', '-f', 'raw', '-F', QEMU_NAME[format], raw, image);
}

async function ourSha(format: ImageFormat, path: string): Promise<{ size: number; sha: string }> {
  const { reader } = await openDiskImage(path, { format: READER_FORMAT[format] });
  try {
    return { size: reader.size, sha: await sha256Of(reader) };
  } finally {
    await reader.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-image-writers-'));
  source = await makeSourceDisk();
  const raw = await RawImage.open(source);
  sourceSha = await sha256Of(raw);
  await raw.close();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(VARIANTS)('$name writer', (variant) => {
  const format = variant.format;
  const file = (stem: string): string => join(dir, `${stem}-${variant.name.replace(/ /g, '-')}`);

  it('writes an ext4 disk that qemu and our readers read back identically', async () => {
    const image = file('disk');
    await writeImage(variant, source, image);

    await qemuCheckClean(format, image);
    expect(await qemuVirtualSize(format, image)).toBe(DISK_BYTES);
    expect(await qemuCompare(format, source, image)).toContain('Images are identical');
    expect(await ourSha(format, image)).toEqual({ size: DISK_BYTES, sha: sourceSha });
    // Free space of the file system takes no room: the image is far smaller than the disk.
    const { blocks } = await stat(image);
    expect(blocks * 512).toBeLessThan(DISK_BYTES / 4);
    await expect(stat(`${image}.partial`)).rejects.toThrow();
  });

  it('writes a fully empty disk whose size is no multiple of a block', async () => {
    const size = 10 * MiB + 512;
    const image = file('empty');
    const writer = await createImageWriter(format, image, size, variant.options);
    await writer.finish();
    const zeros = file('zeros');
    await writeFile(zeros, '');
    await truncate(zeros, size);

    await qemuCheckClean(format, image);
    expect(await qemuVirtualSize(format, image)).toBe(size);
    expect(await qemuCompare(format, zeros, image)).toContain('Images are identical');
    const { reader } = await openDiskImage(image, { format: READER_FORMAT[format] });
    expect(isZero(await reader.read(0, size))).toBe(true);
    await reader.close();
  });

  it('writes the start, the middle and the partial last block of a 2000 GiB disk', async () => {
    const size = 2000 * 1024 * MiB + 1536;
    const middle = 1000 * 1024 * MiB;
    const image = file('huge');
    const writer = await createImageWriter(format, image, size, variant.options);
    await writer.write(0, Buffer.alloc(64 * KiB, 0xa1));
    await writer.write(middle, Buffer.alloc(192 * KiB, 0xb2));
    await writer.write(size - 1536, Buffer.alloc(1536, 0xc3));
    await writer.finish();

    expect(await qemuVirtualSize(format, image)).toBe(size);
    // vmdk's check walks every grain of the 2000 GiB (about a minute): its structure is checked
    // on the smaller disks above.
    if (format !== 'vmdk') await qemuCheckClean(format, image);
    const io = await run('qemu-io', [
      '-r',
      '-f',
      QEMU_NAME[format],
      '-c',
      'read -P 0xa1 0 64k',
      '-c',
      `read -P 0 64k 64k`,
      '-c',
      `read -P 0xb2 ${middle} 192k`,
      '-c',
      `read -P 0xc3 ${size - 1536} 1536`,
      image,
    ]);
    expect(io.stdout).not.toMatch(/Pattern verification failed/);
    expect(io.stdout.match(/^read /gm)).toHaveLength(4);

    const { reader } = await openDiskImage(image, { format: READER_FORMAT[format] });
    expect(reader.size).toBe(size);
    expect(await reader.read(0, 64 * KiB)).toEqual(Buffer.alloc(64 * KiB, 0xa1));
    expect(isZero(await reader.read(64 * KiB, 4 * MiB))).toBe(true);
    expect(await reader.read(middle, 192 * KiB)).toEqual(Buffer.alloc(192 * KiB, 0xb2));
    expect(await reader.read(size - 1536, 1536)).toEqual(Buffer.alloc(1536, 0xc3));
    await reader.close();
    // Tables for 2000 GiB, not the disk: a few hundred MiB at most (vmdk's fixed grain tables
    // are holes in the file).
    expect((await stat(image)).blocks * 512).toBeLessThan(32 * MiB);
  });
});

describe('interrupted restore', () => {
  it('leaves only <name>.partial when the process is killed with SIGKILL', async () => {
    const image = join(dir, 'killed.qcow2');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./image-writer-child.ts', import.meta.url)),
        image,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('written')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    await expect(stat(image)).rejects.toThrow(/ENOENT/);
    expect((await stat(`${image}.partial`)).size).toBeGreaterThan(0);
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createImageWriter } from '../../../../../src-main/engine/formats/writers/index';
import { run } from '../../../../harness/exec';

const MiB = 1024 * 1024;

/** Bytes of `path` in the page cache, from util-linux's fincore. */
async function cachedBytes(path: string): Promise<number> {
  const { stdout } = await run('fincore', ['--bytes', '--noheadings', '--output', 'RES', path]);
  return Number(stdout.trim());
}

/** A restore's shape: three 8 MiB blocks of data, then a tail that is not a whole 4 KiB block. */
async function restoreInto(dir: string): Promise<{ path: string; expected: Buffer }> {
  const path = join(dir, 'disk.raw');
  const blocks = [randomBytes(8 * MiB), randomBytes(8 * MiB), randomBytes(8 * MiB)];
  const tail = randomBytes(5000);
  const size = 24 * MiB + tail.length;
  const writer = await createImageWriter('raw', path, size);
  for (const [i, block] of blocks.entries()) await writer.write(i * 8 * MiB, block);
  await writer.write(24 * MiB, tail);
  await writer.finish();
  return { path, expected: Buffer.concat([...blocks, tail]) };
}

describe('large restore writes bypass the page cache', () => {
  let dirs: string[] = [];
  beforeEach(() => {
    dirs = [];
  });
  afterEach(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('on a disk file system: the bytes are right, and the restored image is not left cached', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hk-direct-'));
    dirs.push(dir);
    const { path, expected } = await restoreInto(dir);
    // Measured before reading the file back (which caches it): only the tail went through the
    // cache, not the 24 MiB of blocks.
    expect(await cachedBytes(path)).toBeLessThan(1 * MiB);
    expect((await readFile(path)).equals(expected)).toBe(true);
  });

  it('on tmpfs, which refuses O_DIRECT: the same bytes through the page cache', async () => {
    const dir = await mkdtemp(join('/dev/shm', 'hk-direct-'));
    dirs.push(dir);
    const { path, expected } = await restoreInto(dir);
    expect((await readFile(path)).equals(expected)).toBe(true);
  });
});

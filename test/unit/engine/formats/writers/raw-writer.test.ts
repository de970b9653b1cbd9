import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createImageWriter } from '../../../../../src-main/engine/formats/writers/index';

const KiB = 1024;
const MiB = 1024 * KiB;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-raw-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('writes runs of data as they are and leaves zero pieces and the unaligned tail right', async () => {
  const size = 16 * MiB + 5000;
  const path = join(dir, 'disk.raw');
  const writer = await createImageWriter('raw', path, size);
  // A block of data, 4 MiB of zeros, data again: two runs around a hole.
  const block = Buffer.alloc(8 * MiB, 0x11);
  block.fill(0, 2 * MiB, 6 * MiB);
  block[7 * MiB + 3] = 0x22;
  await writer.write(0, block);
  // The disk's last write: partly zero, ending in a piece shorter than 64 KiB.
  const tail = Buffer.alloc(8 * MiB + 5000);
  tail.fill(0x33, 8 * MiB + 100, 8 * MiB + 4000);
  await writer.write(8 * MiB, tail);
  await writer.finish();

  const expected = Buffer.concat([block, tail]);
  expect((await readFile(path)).equals(expected)).toBe(true);
  // Only the data runs take space: 2 + 2 MiB and the tail's piece, not 16 MiB.
  expect((await stat(path)).blocks * 512).toBeLessThanOrEqual(4 * MiB + 64 * KiB);
});

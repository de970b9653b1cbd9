/**
 * A volume (a partition: a window of a restore point's disk) restored through the streaming path:
 * only the disk's stored blocks under the window are built on the decoding threads, clipped to
 * the window and written at their offset in the volume. What comes out equals the same bytes
 * read one by one, into an image file (holes left sparse) and onto a device (zeros written).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SliceReader } from '../../../src-main/engine/io/slice-reader';
import type { Repository } from '../../../src-main/engine/repository/repository';
import {
  copyToSink,
  createImageSink,
  type ImageSink,
} from '../../../src-main/engine/restore/image-export';
import { initRepo, makeTempDir } from '../repository/helpers';
import { pointFromImage } from './restore-fixtures';

const MiB = 1024 * 1024;
const DISK = 40 * MiB;

let dir: string;
let repository: Repository;
let pointId: string;
let disk: Buffer;

function noise(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

beforeAll(async () => {
  dir = await makeTempDir('volume-stream');
  // Data across block edges (8 MiB), a hole in the middle, compressible text and noise.
  disk = Buffer.alloc(DISK);
  noise('a', 3 * MiB).copy(disk, 6 * MiB + 4096);
  disk.fill('a partition restored from the middle of a disk. ', 12 * MiB, 17 * MiB + 777);
  noise('b', 9 * MiB).copy(disk, 24 * MiB - 5000);
  disk.fill(0x5c, DISK - MiB - 3, DISK);
  const image = join(dir, 'disk.raw');
  await writeFile(image, disk);
  repository = await initRepo(join(dir, 'repo'));
  pointId = await pointFromImage(repository, image, 'vda');
});

afterAll(async () => {
  await repository?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const WINDOWS: [string, number, number][] = [
  ['from 1 MiB to the end', MiB, DISK - MiB],
  ['starting inside a run, ending inside one', 7 * MiB + 64 * 1024, 20 * MiB + 512],
  ['entirely inside the hole', 34 * MiB, 2 * MiB],
];

describe('volume restore through the decoding threads', () => {
  for (const [what, start, size] of WINDOWS) {
    it(`writes a volume ${what} equal to its bytes`, async () => {
      const reader = await repository.openDisk(pointId, 'vda');
      try {
        const volume = new SliceReader(reader, start, size, 'test volume');
        const expected = disk.subarray(start, start + size);

        const dest = join(dir, `volume-${start}.raw`);
        const sink = await createImageSink('raw', dest, size, { overwrite: true });
        const progress: number[] = [];
        const signal = new AbortController().signal;
        expect(await copyToSink(volume, sink, { signal, progress: (n) => progress.push(n) })).toBe(
          size,
        );
        expect((await readFile(dest)).equals(expected)).toBe(true);
        expect(progress.at(-1)).toBe(size);

        // A device keeps old bytes: every byte is written, zeros included, in order.
        const device = Buffer.alloc(size, 0xee);
        let next = 0;
        const deviceSink: ImageSink = {
          write: async (offset, data) => {
            expect(offset).toBe(next);
            device.set(data, offset);
            next = offset + data.length;
          },
          finish: async () => undefined,
          abort: async () => undefined,
        };
        await copyToSink(volume, deviceSink, {
          signal,
          progress: () => undefined,
          writeZeros: true,
        });
        expect(next).toBe(size);
        expect(device.equals(expected)).toBe(true);
      } finally {
        await reader.close();
      }
    });
  }
});

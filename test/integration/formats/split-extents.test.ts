import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDiskImage } from '../../../src-main/engine/formats/open-image';
import { VmdkImage } from '../../../src-main/engine/formats/vmdk/vmdk-image';
import { run } from '../../harness/exec';
import { qemuImg } from './test-disks';

/**
 * Split VMDKs only split at 2 GiB, so these disks are 2.2 GiB — sparse, with data written just
 * around the extent boundary and near the end, so they cost a few megabytes.
 */
const SIZE = 2200 * 1024 * 1024;
const BOUNDARY = 2 * 1024 * 1024 * 1024;
const WRITES: [number, number, number][] = [
  [0x5a, BOUNDARY - (1 << 20), 2 << 20], // across the boundary between extent 1 and 2
  [0x6b, 4096, 8192],
  [0x7c, SIZE - 65536, 65536], // the last grain of the last extent
];

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-split-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(['twoGbMaxExtentSparse', 'twoGbMaxExtentFlat'])(
  'vmdk %s larger than 2 GiB',
  (subformat) => {
    it('reads across extent files and maps allocation per extent', async () => {
      const path = join(dir, `${subformat}.vmdk`);
      await qemuImg('create', '-f', 'vmdk', '-o', `subformat=${subformat}`, path, String(SIZE));
      await run('qemu-io', [
        ...WRITES.flatMap(([p, o, l]) => ['-c', `write -P ${p} ${o} ${l}`]),
        path,
      ]);

      const { reader, format } = await openDiskImage(path);
      try {
        expect(format).toBe('vmdk');
        expect(reader.size).toBe(SIZE);
        expect(reader instanceof VmdkImage && reader.descriptor.extents.length).toBe(2);
        for (const [pattern, offset, length] of WRITES) {
          const before = await reader.read(offset - 512, 512);
          const data = await reader.read(offset, length);
          expect(before.every((b) => b === 0)).toBe(true);
          expect(data.every((b) => b === pattern)).toBe(true);
        }
        if (subformat === 'twoGbMaxExtentSparse') {
          const data = (await reader.allocationMap()).filter((e) => e.kind === 'data');
          expect(data.map((e) => [e.offset, e.length])).toEqual([
            [0, 65536],
            [BOUNDARY - (1 << 20), 2 << 20],
            [SIZE - 65536, 65536],
          ]);
        }
      } finally {
        await reader.close();
      }
    });
  },
);

import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtFileSystem } from '../../../src-main/engine/filesystems/ext/ext-filesystem';
import { FileReader } from '../../../src-main/engine/io/file-reader';
import type { RandomAccessReader } from '../../../src-main/engine/io/random-access';
import { hostTree, scratchDir, seededBytes, tool, walkAll } from './fs-fixtures';

const KiB = 1024;
const FOLDERS = 120;

/** A reader that counts what is asked of it, as an NBD export of a running VM would serve it. */
class CountingReader implements RandomAccessReader {
  reads = 0;
  bytes = 0;
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly inner: RandomAccessReader) {}
  get size(): number {
    return this.inner.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    this.reads++;
    this.bytes += length;
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      return await this.inner.read(offset, length);
    } finally {
      this.inFlight--;
    }
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Puts a little-endian u16 into the image at `offset`. */
async function pokeU16(image: string, offset: number, value: number): Promise<void> {
  const fh = await open(image, 'r+');
  try {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value);
    await fh.write(b, 0, 2, offset);
  } finally {
    await fh.close();
  }
}

describe('ext catalog walk: what it reads of the volume', () => {
  let scratch: { path: string; remove: () => Promise<void> };
  let source: string;
  let image: string;

  beforeAll(async () => {
    scratch = await scratchDir('ext-walk-reads');
    source = join(scratch.path, 'source');
    // Folders among file data, as on a real disk: each folder's block lies next to 96 KiB of
    // its own file, so no two folders share a 64 KiB stretch of the volume.
    for (let i = 0; i < FOLDERS; i++) {
      const dir = join(source, `group-${i % 6}`, `folder-${i}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'data.bin'), seededBytes(i + 1, 96 * KiB));
      await writeFile(join(dir, 'note.txt'), `folder ${i}\n`);
    }
    image = join(scratch.path, 'ext4.img');
    await tool('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', source, image, '64M']);
  }, 120_000);

  afterAll(async () => {
    await scratch?.remove();
  });

  it('reads the metadata it parses, not the file data around it, many reads at a time', async () => {
    const reader = new CountingReader(await FileReader.open(image));
    const fs = await ExtFileSystem.open(reader);
    try {
      const entries = await walkAll(fs);
      const expected = await hostTree(source);
      const listed = new Set(entries.map((e) => e.path));
      for (const path of expected.keys()) expect(listed, path).toContain(path);
      // 126 folders of one 4 KiB block and the used inodes (~400 × 256 bytes), read with some
      // neighbours: through 64 KiB cache chunks the same walk read over 8 MiB.
      expect(reader.bytes).toBeLessThan(2 * 1024 * KiB);
      // The folders are read ahead together instead of a round trip per folder.
      expect(reader.maxInFlight).toBeGreaterThanOrEqual(8);
    } finally {
      await fs.close();
    }
  });

  it('still lists every file when the group descriptors under-report the inodes in use', async () => {
    const intact = await ExtFileSystem.open(await FileReader.open(image));
    const reference = await walkAll(intact).finally(() => intact.close());
    const lying = join(scratch.path, 'lying.img');
    await tool('cp', [image, lying]);
    // Group 0's descriptor (block 1 with 4 KiB blocks): bg_itable_unused (0x1c) claims all but
    // 11 inodes unused, so the read-ahead stops before the files' inodes.
    const info = (await tool('dumpe2fs', ['-h', lying])).toString('utf8');
    const perGroup = Number(/Inodes per group:\s+(\d+)/.exec(info)?.[1]);
    expect(perGroup).toBeGreaterThan(100);
    await pokeU16(lying, 4096 + 0x1c, perGroup - 11);
    const fs = await ExtFileSystem.open(await FileReader.open(lying));
    try {
      const entries = await walkAll(fs);
      expect(entries.map((e) => [e.path, e.size, e.type])).toEqual(
        reference.map((e) => [e.path, e.size, e.type]),
      );
    } finally {
      await fs.close();
    }
  });
});

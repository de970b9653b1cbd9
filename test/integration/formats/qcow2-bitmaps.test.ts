import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RANGES } from '../../../src-main/engine/formats/qcow2/qcow2-bitmaps';
import { Qcow2Image, type ChangedSince } from '../../../src-main/engine/formats/qcow2/qcow2-image';
import { RawImage, type ByteSource } from '../../../src-main/engine/formats/raw/raw-image';
import { run } from '../../harness/exec';
import { qemuImg } from './test-disks';

/**
 * Persistent dirty bitmaps as QEMU writes them: bitmaps added with `qemu-img bitmap`, guest
 * writes made with qemu-io (which opens the image read-write, so the enabled bitmaps record
 * them and are stored again on close). The expected ranges are the writes themselves, widened to
 * the bitmap's granularity; damage is made by patching the bytes the specification describes.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const GRANULE = 64 * KiB; // qemu-img bitmap's default granularity with 64 KiB clusters

let dir: string;
let serial = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-bitmaps-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const qemuIo = (file: string, ...commands: string[]): Promise<unknown> =>
  run('qemu-io', ['-f', 'qcow2', ...commands.flatMap((c) => ['-c', c]), file]);

async function newImage(size: string, ...options: string[]): Promise<string> {
  const path = join(dir, `img-${serial++}.qcow2`);
  await qemuImg('create', '-f', 'qcow2', ...options, path, size);
  return path;
}

async function changed(path: string, bitmap: string): Promise<ChangedSince> {
  const image = await Qcow2Image.open(path);
  try {
    return await image.changedSince(bitmap);
  } finally {
    await image.close();
  }
}

async function expectUnusable(path: string, bitmap: string, reason: RegExp): Promise<void> {
  const result = await changed(path, bitmap);
  expect(result).toEqual({ unusable: expect.stringMatching(reason) as unknown });
}

interface BitmapLayout {
  /** Where the bitmaps extension's 24 bytes start. */
  extensionAt: number;
  entries: { at: number; name: string; tableOffset: number; table: bigint[] }[];
}

/** The bitmap directory read straight from the file, as the specification lays it out. */
async function layout(path: string): Promise<BitmapLayout> {
  const b = await readFile(path);
  let at = b.readUInt32BE(100);
  for (let n = 0; n < 64; n++) {
    const type = b.readUInt32BE(at);
    const length = b.readUInt32BE(at + 4);
    if (type === 0) break;
    if (type === 0x23852875) {
      const count = b.readUInt32BE(at + 8);
      let e = Number(b.readBigUInt64BE(at + 24));
      const entries: BitmapLayout['entries'] = [];
      for (let i = 0; i < count; i++) {
        const tableOffset = Number(b.readBigUInt64BE(e));
        const tableSize = b.readUInt32BE(e + 8);
        const nameSize = b.readUInt16BE(e + 18);
        const name = b.toString('utf8', e + 24, e + 24 + nameSize);
        const table = [...Array(tableSize).keys()].map((t) =>
          b.readBigUInt64BE(tableOffset + t * 8),
        );
        entries.push({ at: e, name, tableOffset, table });
        e += Math.ceil((24 + nameSize) / 8) * 8;
      }
      return { extensionAt: at + 8, entries };
    }
    at += 8 + Math.ceil(length / 8) * 8;
  }
  throw new Error(`${path} has no bitmaps extension`);
}

async function patch(path: string, offset: number, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}

const u32 = (n: number): Buffer =>
  Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const u64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};

/** A 64 MiB image whose bitmap b1 recorded two writes. */
async function writtenImage(): Promise<string> {
  const path = await newImage('64M');
  await qemuImg('bitmap', '--add', path, 'b1');
  await qemuIo(path, 'write -P 1 1M 64k', 'write 10M 4k');
  return path;
}

describe('qcow2 persistent dirty bitmaps', () => {
  it('reports exactly the granules the guest wrote since the bitmap was added', async () => {
    const path = await writtenImage();
    expect(await changed(path, 'b1')).toEqual({
      ranges: [
        { offset: 1 * MiB, length: GRANULE },
        { offset: 10 * MiB, length: GRANULE },
      ],
    });
  });

  it('gives a bitmap added later only the writes made after it', async () => {
    const path = await writtenImage();
    await qemuImg('bitmap', '--add', path, 'b2');
    await qemuIo(path, 'write 20M 512', 'write 1M 4k');
    expect(await changed(path, 'b2')).toEqual({
      ranges: [
        { offset: 1 * MiB, length: GRANULE },
        { offset: 20 * MiB, length: GRANULE },
      ],
    });
    expect(await changed(path, 'b1')).toEqual({
      ranges: [
        { offset: 1 * MiB, length: GRANULE },
        { offset: 10 * MiB, length: GRANULE },
        { offset: 20 * MiB, length: GRANULE },
      ],
    });
  });

  it('reads a 512-byte granularity bitmap spread over several table entries in few reads', async () => {
    const path = await newImage('1G');
    await qemuImg('bitmap', '--add', '-g', '512', path, 'fine');
    await qemuIo(
      path,
      'write 0 512',
      `write ${256 * MiB - 256} 1024`, // across the first two table entries
      `write ${700 * MiB + 100} 10`,
      `write ${1024 * MiB - 512 * KiB} 512k`,
    );
    // 2 Mi bits = 256 KiB of bitmap: four 64 KiB clusters, each covering 256 MiB of disk.
    const { entries } = await layout(path);
    expect(entries[0]!.table).toHaveLength(4);
    const written = [
      { offset: 0, length: 512 },
      { offset: 256 * MiB - 512, length: 1536 },
      { offset: 700 * MiB, length: 512 },
      { offset: 1024 * MiB - 512 * KiB, length: 512 * KiB },
    ];

    // Through a byte source that counts reads, as a volume streamed by libvirt would be read.
    const handle = await open(path, 'r');
    let reads = 0;
    const source: ByteSource = {
      size: (await handle.stat()).size,
      async readInto(target, offset) {
        reads++;
        const { bytesRead } = await handle.read(target, 0, target.length, offset);
        if (bytesRead !== target.length) throw new Error('short read');
      },
      close: () => handle.close(),
    };
    const image = await Qcow2Image.fromFile(RawImage.fromSource(source, path));
    try {
      reads = 0;
      expect(await image.changedSince('fine')).toEqual({ ranges: written });
      // The directory, the whole table, and one read per run of data clusters that follow on
      // in the file.
      const data = entries[0]!.table.filter((e) => e !== 0n).map(Number);
      const runs = data.filter((at, i) => i === 0 || at !== data[i - 1]! + 64 * KiB).length;
      expect(runs).toBeGreaterThan(0);
      expect(reads).toBe(2 + runs);
    } finally {
      await image.close();
    }

    // A table entry without a cluster but with bit 0 set means all 256 MiB of it were written.
    await patch(path, entries[0]!.tableOffset + 2 * 8, u64(1n));
    expect(await changed(path, 'fine')).toEqual({
      ranges: [written[0], written[1], { offset: 512 * MiB, length: 256 * MiB }, written[3]],
    });
  });

  it('clips the last granule to the end of the disk', async () => {
    const size = 100 * MiB + 512;
    const path = await newImage(String(size));
    await qemuImg('bitmap', '--add', path, 'tail');
    await qemuIo(path, `write ${size - 512} 512`);
    expect(await changed(path, 'tail')).toEqual({ ranges: [{ offset: 100 * MiB, length: 512 }] });
  });

  it('joins fragments beyond its memory budget into ranges that still hold every write', async () => {
    const path = await newImage('1G');
    await qemuImg('bitmap', '--add', '-g', '512', path, 'busy');
    await qemuIo(path, 'write 0 512', `write ${256 * MiB} 512`);
    // Every other granule of the first 512 MiB dirty: 2^19 fragments, twice the budget.
    const { entries } = await layout(path);
    for (const entry of entries[0]!.table.slice(0, 2))
      await patch(path, Number(entry), Buffer.alloc(64 * KiB, 0x55));
    const result = await changed(path, 'busy');
    expect(2 ** 19).toBeGreaterThan(MAX_RANGES);
    expect(result).toEqual({ ranges: [{ offset: 0, length: 512 * MiB - 512 }] });
  });

  describe('says why a bitmap cannot be used instead of guessing', () => {
    it('when there is no such bitmap, or no bitmaps at all', async () => {
      await expectUnusable(await writtenImage(), 'b9', /the image has no bitmap named b9/);
      await expectUnusable(await newImage('1M'), 'b1', /the image holds no persistent bitmaps/);
      await expectUnusable(await newImage('1M', '-o', 'compat=0.10'), 'b1', /qcow2 version 2/);
    });

    it('when the bitmap was disabled and stopped recording writes', async () => {
      const path = await writtenImage();
      await qemuImg('bitmap', '--disable', path, 'b1');
      await expectUnusable(path, 'b1', /bitmap b1 is disabled/);
    });

    it('when QEMU was killed with the image open', async () => {
      const path = await writtenImage();
      await expect(qemuIo(path, 'write 30M 4k', 'sigraise 9')).rejects.toThrow();
      await expectUnusable(path, 'b1', /bitmap b1 is marked in use \(QEMU did not close/);
    });

    it('when a program without bitmap support wrote to the image (autoclear bit clear)', async () => {
      const path = await writtenImage();
      await patch(path, 88, u64(0n));
      await expectUnusable(path, 'b1', /bitmaps are stale/);
    });

    const entryPatches: [string, (l: BitmapLayout) => [number, Buffer], RegExp][] = [
      ['in-use flag set', (l) => [l.entries[0]!.at + 12, u32(3)], /marked in use/],
      [
        'unknown flag set',
        (l) => [l.entries[0]!.at + 12, u32(2 | 8)],
        /flags Hyperkeep does not know/,
      ],
      ['unknown type', (l) => [l.entries[0]!.at + 16, Buffer.from([2])], /of type 2/],
      ['granularity 2^8', (l) => [l.entries[0]!.at + 17, Buffer.from([8])], /granularity of 2\^8/],
      ['granularity 2^32', (l) => [l.entries[0]!.at + 17, Buffer.from([32])], /granularity/],
      ['table size wrong', (l) => [l.entries[0]!.at + 8, u32(2)], /table has 2 entries .* needs 1/],
      [
        'table past the end',
        (l) => [l.entries[0]!.at, u64(0x4000_0000n)],
        /table at 0x40000000 runs past the end of the file/,
      ],
      [
        'reserved table bits',
        (l) => [l.entries[0]!.tableOffset, u64(l.entries[0]!.table[0]! | (1n << 60n))],
        /table entry 0 .* has reserved bits set/,
      ],
      [
        'unaligned data cluster',
        (l) => [l.entries[0]!.tableOffset, u64(l.entries[0]!.table[0]! + 512n)],
        /table entry 0 .* points to an unaligned cluster/,
      ],
      [
        'data past the end',
        (l) => [l.entries[0]!.tableOffset, u64(0x7fff_0000n)],
        /table entry 0 .* points past the end of the file/,
      ],
      [
        'bitmap count wrong',
        (l) => [l.extensionAt, u32(2)],
        /bitmap directory is damaged: it holds 1 bitmaps, the header counts 2/,
      ],
      [
        'directory past the end',
        (l) => [l.extensionAt + 16, u64(0x4000_0000n)],
        /bitmap directory is damaged: .* past the end of the file/,
      ],
      [
        'directory over 64 MiB',
        (l) => [l.extensionAt + 8, u64(65n * 1024n * 1024n)],
        /bitmap directory is damaged: .* 64 MiB/,
      ],
      [
        'name running past the directory',
        (l) => [l.entries[0]!.at + 18, Buffer.from([0, 200])],
        /bitmap directory is damaged: entry 0 runs past its end/,
      ],
    ];
    it.each(entryPatches)('when patched: %s', async (_what, where, reason) => {
      const path = await writtenImage();
      const [offset, bytes] = where(await layout(path));
      await patch(path, offset, bytes);
      await expectUnusable(path, 'b1', reason);
    });
  });
});

import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../shared/errors';
import { crc32c } from '../../../src-main/engine/formats/binary';
import { openDiskImage } from '../../../src-main/engine/formats/open-image';
import { run } from '../../harness/exec';
import { DISK_MIB, convertRaw, makeTestDisk, qemuImg, sha256Of } from './test-disks';
import { makeVhdDifferencing } from './vhd-differencing';
import { makeVhdxDifferencing } from './vhdx-differencing';

let dir: string;
let rawPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-chains-'));
  rawPath = await makeTestDisk(dir, 'gpt');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const qemuIo = (file: string, ...commands: string[]): Promise<unknown> =>
  run('qemu-io', [...commands.flatMap((c) => ['-c', c]), file]);

/** What the guest would read: qemu-img's own view of the chain, flattened to raw. */
async function flatten(path: string): Promise<string> {
  const out = `${path}.expected.raw`;
  await qemuImg('convert', '-O', 'raw', path, out);
  return out;
}

async function expectSameAsQemu(path: string, chainLength: number): Promise<void> {
  const expected = await openDiskImage(await flatten(path), { format: 'raw' });
  const { reader, chain } = await openDiskImage(path);
  try {
    expect(chain).toHaveLength(chainLength);
    expect(await sha256Of(reader)).toBe(await sha256Of(expected.reader));
  } finally {
    await reader.close();
    await expected.reader.close();
  }
}

async function expectRefused(path: string, code: string, message: RegExp): Promise<void> {
  const err: unknown = await openDiskImage(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HyperkeepError);
  expect((err as HyperkeepError).code).toBe(code);
  expect((err as HyperkeepError).message).toMatch(message);
}

describe('qcow2 backing chains', () => {
  it('reads an overlay chain (zero clusters, partial clusters, extended L2) like qemu does', async () => {
    await convertRaw(rawPath, join(dir, 'base.qcow2'), 'qcow2');
    await qemuImg(
      'create',
      '-f',
      'qcow2',
      '-b',
      'base.qcow2',
      '-F',
      'qcow2',
      join(dir, 'mid.qcow2'),
    );
    await qemuIo(
      join(dir, 'mid.qcow2'),
      'write -P 0xab 1M 64k',
      'write -P 0xcd 3000000 5000',
      'write -z 4M 128k',
    );
    await qemuImg(
      'create',
      '-f',
      'qcow2',
      '-o',
      'extended_l2=on',
      '-b',
      'mid.qcow2',
      '-F',
      'qcow2',
      join(dir, 'top.qcow2'),
    );
    await qemuIo(
      join(dir, 'top.qcow2'),
      'write -P 0x11 10M 4k',
      'write -P 0x22 20000000 3000',
      'write -z 6M 8k',
    );
    await expectSameAsQemu(join(dir, 'top.qcow2'), 3);

    const { reader, chain } = await openDiskImage(join(dir, 'top.qcow2'));
    try {
      expect(chain.map((c) => c.path)).toEqual(
        ['top.qcow2', 'mid.qcow2', 'base.qcow2'].map((f) => join(dir, f)),
      );
      expect(Buffer.from(await reader.read(1 << 20, 65536)).equals(Buffer.alloc(65536, 0xab))).toBe(
        true,
      );
      const map = await reader.allocationMap(4 << 20, 128 << 10);
      expect(map).toEqual([{ offset: 4 << 20, length: 128 << 10, kind: 'zero' }]);
    } finally {
      await reader.close();
    }
  });

  it('reads a backing file smaller than its overlay as zeros past its end', async () => {
    await qemuImg('create', '-f', 'qcow2', join(dir, 'small-base.qcow2'), '1M');
    await qemuIo(join(dir, 'small-base.qcow2'), 'write -P 0x77 0 1M');
    await qemuImg(
      'create',
      '-f',
      'qcow2',
      '-b',
      'small-base.qcow2',
      '-F',
      'qcow2',
      join(dir, 'grown.qcow2'),
      '4M',
    );
    await expectSameAsQemu(join(dir, 'grown.qcow2'), 2);
  });

  it('refuses loops, chains deeper than the limit and missing parents with clear errors', async () => {
    await qemuImg(
      'create',
      '-f',
      'qcow2',
      '-u',
      '-b',
      'loop-b.qcow2',
      '-F',
      'qcow2',
      join(dir, 'loop-a.qcow2'),
      '1M',
    );
    await qemuImg(
      'create',
      '-f',
      'qcow2',
      '-u',
      '-b',
      'loop-a.qcow2',
      '-F',
      'qcow2',
      join(dir, 'loop-b.qcow2'),
      '1M',
    );
    await expectRefused(
      join(dir, 'loop-a.qcow2'),
      'INVALID_INPUT',
      /loop-a\.qcow2 as its parent, which is already in its chain/,
    );

    const deep = await openDiskImage(join(dir, 'top.qcow2'), { maxChainDepth: 1 }).catch(
      (e: unknown) => e,
    );
    expect((deep as HyperkeepError).message).toMatch(/chain of more than 1 parent/);

    await qemuImg(
      'create',
      '-f',
      'qcow2',
      '-u',
      '-b',
      'gone.qcow2',
      '-F',
      'qcow2',
      join(dir, 'orphan.qcow2'),
      '1M',
    );
    await expectRefused(
      join(dir, 'orphan.qcow2'),
      'NOT_FOUND',
      /Parent image of .*orphan\.qcow2 not found \(looked for gone\.qcow2\)/,
    );
  });

  it('refuses encrypted images and external data files, naming the reason', async () => {
    // qemu-img times PBKDF2 on the CPU clock to pick the LUKS iteration count; on a loaded
    // machine that measurement sometimes fails ("Unable to get accurate CPU usage"): try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await qemuImg(
          'create',
          '-f',
          'qcow2',
          '--object',
          'secret,id=sec0,data=hunter2',
          '-o',
          'encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=200',
          join(dir, 'enc.qcow2'),
          '4M',
        );
        break;
      } catch (err) {
        if (attempt >= 5 || !/accurate CPU usage/.test(String(err))) throw err;
      }
    }
    await expectRefused(
      join(dir, 'enc.qcow2'),
      'INVALID_INPUT',
      /qcow2 image .*enc\.qcow2: the image is encrypted \(LUKS\)/,
    );
    await qemuImg(
      'create',
      '-f',
      'qcow2',
      '-o',
      `data_file=${join(dir, 'ext-data.raw')}`,
      join(dir, 'ext.qcow2'),
      '4M',
    );
    await expectRefused(
      join(dir, 'ext.qcow2'),
      'INVALID_INPUT',
      /external data file \(.*ext-data\.raw\)/,
    );
  });
});

describe('vmdk delta disks', () => {
  it('reads a delta whose parentFileNameHint names the base', async () => {
    await convertRaw(rawPath, join(dir, 'base.vmdk'), 'vmdk');
    await qemuImg('create', '-f', 'vmdk', '-b', 'base.vmdk', '-F', 'vmdk', join(dir, 'delta.vmdk'));
    await qemuIo(join(dir, 'delta.vmdk'), 'write -P 0x33 5M 100k', 'write -P 0x44 30M 3k');
    await expectSameAsQemu(join(dir, 'delta.vmdk'), 2);
  });
});

describe('vhd differencing disks', () => {
  it('reads sectors marked in the child and takes the rest from the parent found by relative locator', async () => {
    const parent = await convertRaw(rawPath, join(dir, 'parent.vhd'), 'vpc', [
      '-o',
      'subformat=dynamic,force_size=on',
    ]);
    const child = join(dir, 'child.vhd');
    await qemuImg(
      'create',
      '-f',
      'vpc',
      '-o',
      'subformat=dynamic,force_size=on',
      child,
      `${DISK_MIB}M`,
    );
    await qemuIo(child, 'write -P 0x5c 3M 1M', 'write -P 0x5d 20M 64k');
    // qemu cannot write differencing VHDs: turn the dynamic child into one as Hyper-V would lay it out.
    const blockMarks = await makeVhdDifferencing(child, parent, '.\\parent.vhd');

    const expected = Buffer.from(await readFile(rawPath));
    // Block 1 (2–4 MiB): only the sectors of 3 MiB..3.5 MiB stay marked as the child's.
    expected.fill(0x5c, 3 << 20, (3 << 20) + (512 << 10));
    // Block 10 (20–22 MiB): fully marked, so the child's zeros hide the parent there.
    expected.fill(0, 20 << 20, 22 << 20);
    expected.fill(0x5d, 20 << 20, (20 << 20) + 65536);
    expect(blockMarks).toBe(2);

    const { reader, chain, format } = await openDiskImage(child);
    try {
      expect(format).toBe('vpc');
      expect(chain.map((c) => c.path)).toEqual([child, parent]);
      expect(Buffer.from(await reader.read(0, reader.size)).equals(expected)).toBe(true);
    } finally {
      await reader.close();
    }
  });
});

describe('vhdx', () => {
  it('reads a differencing disk: partially present blocks through the sector bitmap, the rest from the parent', async () => {
    const parent = await convertRaw(rawPath, join(dir, 'parent.vhdx'), 'vhdx', [
      '-o',
      'block_size=1M',
    ]);
    const child = join(dir, 'child.avhdx');
    await qemuImg('create', '-f', 'vhdx', '-o', 'block_size=1M', child, `${DISK_MIB}M`);
    await qemuIo(child, 'write -P 0x61 3M 1M', 'write -P 0x62 20M 64k');
    // Block 3 keeps only its first 1024 sectors (3 MiB..3.5 MiB) as the child's.
    await makeVhdxDifferencing(child, '.\\parent.vhdx', 3, 1024);

    const expected = Buffer.from(await readFile(rawPath));
    expected.fill(0x61, 3 << 20, (3 << 20) + (512 << 10));
    expected.fill(0, 20 << 20, 21 << 20); // block 20 is fully present: the child's zeros hide the parent
    expected.fill(0x62, 20 << 20, (20 << 20) + 65536);

    const { reader, chain } = await openDiskImage(child);
    try {
      expect(chain.map((c) => [c.path, c.format])).toEqual([
        [child, 'vhdx'],
        [parent, 'vhdx'],
      ]);
      expect(Buffer.from(await reader.read(0, reader.size)).equals(expected)).toBe(true);
    } finally {
      await reader.close();
    }
  });

  it('refuses an image whose log was never replayed', async () => {
    const path = await convertRaw(rawPath, join(dir, 'log.vhdx'), 'vhdx');
    const f = await open(path, 'r+');
    try {
      for (const at of [64 << 10, 128 << 10]) {
        const header = Buffer.alloc(4096);
        await f.read(header, 0, 4096, at);
        header.fill(0x42, 48, 64); // LogGuid
        header.writeUInt32LE(0, 4);
        header.writeUInt32LE(crc32c(header), 4);
        await f.write(header, 0, 4096, at);
      }
    } finally {
      await f.close();
    }
    await expectRefused(
      path,
      'INVALID_INPUT',
      /log holds changes that were never written back.*qemu-img check -r all/,
    );
  });
});

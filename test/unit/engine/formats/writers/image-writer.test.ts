import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../../../shared/errors';
import { guidMixedEndian } from '../../../../../src-main/engine/formats/binary';
import { BAT_REGION } from '../../../../../src-main/engine/formats/vhdx/vhdx-structures';
import { createImageWriter } from '../../../../../src-main/engine/formats/writers/index';
import { guidBytes } from '../../../../../src-main/engine/formats/writers/vhdx-writer';

const MiB = 1024 * 1024;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-writer-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<HyperkeepError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HyperkeepError);
  return err as HyperkeepError;
}

describe('image writers', () => {
  it('write into <name>.partial and show <name> only once finished', async () => {
    const path = join(dir, 'disk.qcow2');
    const writer = await createImageWriter('qcow2', path, 4 * MiB);
    await writer.write(0, Buffer.alloc(MiB, 7));
    expect(await readdir(dir)).toEqual(['disk.qcow2.partial']);
    await writer.finish();
    expect(await readdir(dir)).toEqual(['disk.qcow2']);
    // abort after finish keeps the finished image
    await writer.abort();
    expect(await readdir(dir)).toEqual(['disk.qcow2']);
  });

  it('abort leaves no file behind', async () => {
    for (const format of ['raw', 'qcow2', 'vmdk', 'vhd', 'vhdx'] as const) {
      const writer = await createImageWriter(format, join(dir, `d.${format}`), 8 * MiB);
      await writer.write(0, Buffer.alloc(2 * MiB, 1));
      await writer.abort();
    }
    const stream = await createImageWriter('vmdk', join(dir, 's.vmdk'), 8 * MiB, {
      vmdkSubformat: 'streamOptimized',
    });
    await stream.write(0, Buffer.alloc(2 * MiB, 1));
    await stream.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses an existing file without overwrite, before writing anything', async () => {
    const path = join(dir, 'disk.vhdx');
    await writeFile(path, 'precious');
    const err = await rejection(createImageWriter('vhdx', path, 8 * MiB));
    expect(err.code).toBe('ALREADY_EXISTS');
    expect(err.message).toContain(path);
    expect(await readdir(dir)).toEqual(['disk.vhdx']);
  });

  it('refuses at finish a file that appeared during the restore, and keeps it', async () => {
    const path = join(dir, 'disk.raw');
    const writer = await createImageWriter('raw', path, 4 * MiB);
    await writer.write(0, Buffer.alloc(MiB, 3));
    await writeFile(path, 'precious');
    const err = await rejection(writer.finish());
    expect(err.code).toBe('ALREADY_EXISTS');
    expect(await readFile(path, 'utf8')).toBe('precious');
    await writer.abort();
    expect(await readdir(dir)).toEqual(['disk.raw']);
  });

  it('replaces an existing file with overwrite', async () => {
    const path = join(dir, 'disk.raw');
    await writeFile(path, 'old');
    const writer = await createImageWriter('raw', path, MiB, { overwrite: true });
    await writer.write(0, Buffer.alloc(MiB, 9));
    expect(await readFile(path, 'utf8')).toBe('old');
    await writer.finish();
    expect(await readFile(path)).toEqual(Buffer.alloc(MiB, 9));
  });

  it('says what is wrong with the destination', async () => {
    await mkdir(join(dir, 'folder'));
    expect((await rejection(createImageWriter('raw', join(dir, 'folder'), MiB))).message).toMatch(
      /is a folder/,
    );
    expect(
      (await rejection(createImageWriter('raw', join(dir, 'missing', 'd.raw'), MiB))).message,
    ).toMatch(/does not exist/);
    expect(
      (await rejection(createImageWriter('vhd', join(dir, 'big.vhd'), 3 * 2 ** 40))).message,
    ).toMatch(/larger than a VHD can hold/);
    expect(await readdir(dir)).toEqual(['folder']);
  });

  it('rejects writes out of order, unaligned or past the end', async () => {
    const writer = await createImageWriter('qcow2', join(dir, 'd.qcow2'), 4 * MiB + 512);
    await writer.write(MiB, Buffer.alloc(64 * 1024, 1));
    expect((await rejection(writer.write(0, Buffer.alloc(64 * 1024)))).message).toMatch(/before/);
    expect((await rejection(writer.write(2 * MiB + 512, Buffer.alloc(512)))).message).toMatch(
      /aligned/,
    );
    expect((await rejection(writer.write(2 * MiB, Buffer.alloc(1000)))).message).toMatch(
      /not a multiple of 64 KiB/,
    );
    expect((await rejection(writer.write(4 * MiB, Buffer.alloc(1024)))).message).toMatch(
      /past the disk/,
    );
    // the last, partial block is fine
    await writer.write(4 * MiB, Buffer.alloc(512, 2));
    await writer.abort();
  });

  it('encodes VHDX GUIDs in the mixed-endian layout the reader decodes', () => {
    expect(guidMixedEndian(guidBytes(BAT_REGION), 0)).toBe(BAT_REGION);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileReader } from '../../../../src-main/engine/io/file-reader';
import { SliceReader } from '../../../../src-main/engine/io/slice-reader';

describe('file and slice readers', () => {
  let dir: string;
  let path: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hyperkeep-io-'));
    path = join(dir, 'disk.img');
    await writeFile(path, Buffer.from('0123456789abcdef'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads exact ranges of a file and refuses to read past its end', async () => {
    const reader = await FileReader.open(path);
    expect(reader.size).toBe(16);
    expect(Buffer.from(await reader.read(10, 6)).toString()).toBe('abcdef');
    await expect(reader.read(10, 7)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('past the end'),
    });
    await expect(reader.read(-1, 1)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await reader.close();
    await expect(reader.read(0, 1)).rejects.toThrow(/already closed/);
  });

  it('reports a missing file as NOT_FOUND', async () => {
    await expect(FileReader.open(join(dir, 'missing.img'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('maps a window onto the reader underneath without owning it', async () => {
    const reader = await FileReader.open(path);
    const slice = new SliceReader(reader, 4, 8, 'partition 1');
    expect(Buffer.from(await slice.read(2, 6)).toString()).toBe('6789ab');
    await expect(slice.read(4, 5)).rejects.toThrow(/past the end of partition 1/);
    await slice.close();
    expect(Buffer.from(await reader.read(0, 2)).toString()).toBe('01');
    expect(() => new SliceReader(reader, 10, 10, 'partition 2')).toThrow(
      /past the end of its 16-byte container/,
    );
    await reader.close();
  });
});

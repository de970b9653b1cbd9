import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FallbackReader } from '../../../../src-main/engine/io/fallback-reader';
import { FileReader } from '../../../../src-main/engine/io/file-reader';

const content = randomBytes(256 * 1024);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-fallback-'));
  await writeFile(join(dir, 'primary'), content);
  await writeFile(join(dir, 'copy'), content);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('FallbackReader', () => {
  it('reads on from the fallback once the primary fails, and tells once', async () => {
    const primary = await FileReader.open(join(dir, 'primary'));
    const causes: unknown[] = [];
    let opened = 0;
    const reader = new FallbackReader(
      primary,
      () => {
        opened++;
        return FileReader.open(join(dir, 'copy'));
      },
      (cause) => causes.push(cause),
    );
    expect(Buffer.from(await reader.read(1000, 5000))).toEqual(content.subarray(1000, 6000));
    await primary.close(); // the source goes away (a VM shut down mid-walk)
    const reads = await Promise.all(
      [0, 70_000, 200_000].map((at) => reader.read(at, 4096).then((b) => [at, b] as const)),
    );
    for (const [at, bytes] of reads)
      expect(Buffer.from(bytes)).toEqual(content.subarray(at, at + 4096));
    expect(opened).toBe(1);
    expect(causes).toHaveLength(1);
    expect(String(causes[0])).toContain('already closed');
    await reader.close();
  });

  it('does not switch over for a read outside the disk', async () => {
    const primary = await FileReader.open(join(dir, 'primary'));
    let opened = 0;
    const reader = new FallbackReader(primary, () => {
      opened++;
      return FileReader.open(join(dir, 'copy'));
    });
    await expect(reader.read(content.length - 10, 20)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(opened).toBe(0);
    expect(Buffer.from(await reader.read(0, 16))).toEqual(content.subarray(0, 16));
    await reader.close();
    await primary.close();
  });
});

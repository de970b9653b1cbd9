import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageDestination } from '../../../../src-main/engine/restore/image-destination';

let dir: string;
let saved: string | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hk-image-dest-'));
  saved = process.env.HYPERKEEP_RESTORE_DIR;
  process.env.HYPERKEEP_RESTORE_DIR = join(dir, 'restores');
});

afterAll(() => {
  if (saved === undefined) delete process.env.HYPERKEEP_RESTORE_DIR;
  else process.env.HYPERKEEP_RESTORE_DIR = saved;
  rmSync(dir, { recursive: true, force: true });
});

describe('imageDestination', () => {
  it('creates the missing folders of a file in the restore folder (the suggested place)', async () => {
    const dest = join(dir, 'restores', 'web-01', 'vda.qcow2');
    expect(await imageDestination(dest)).toBe(dest);
    expect(existsSync(join(dir, 'restores', 'web-01'))).toBe(true);
  });

  it('creates nothing elsewhere: a mistyped folder is for the writer to report', async () => {
    const dest = join(dir, 'restores-typo', 'vda.qcow2');
    expect(await imageDestination(dest)).toBe(dest);
    expect(existsSync(join(dir, 'restores-typo'))).toBe(false);
    // ".." cannot lead out of the restore folder while counting as inside it.
    await imageDestination(join(dir, 'restores', '..', 'escaped', 'vda.raw'));
    expect(existsSync(join(dir, 'escaped'))).toBe(false);
  });

  it('refuses a relative path', async () => {
    await expect(imageDestination('vda.qcow2')).rejects.toThrow(/must be an absolute path/);
  });
});

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirectoryBackend } from '../../../src-main/engine/repository/backends/local-directory';
import { Repository } from '../../../src-main/engine/repository/repository';
import { TEST_KDF, TEST_VM, initRepo, makeTempDir, openRepo, seededBytes, sha256 } from './helpers';

describe('repository modes and passphrases', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await makeTempDir('repo-modes');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an unencrypted repository opens without a passphrase, still with keyed ids per repository', async () => {
    const data = seededBytes('plain', 3 * 2 ** 20);
    for (const name of ['plain-a', 'plain-b']) {
      const repo = await Repository.init(new LocalDirectoryBackend(join(dir, name)), {
        encrypt: false,
        workers: 1,
      });
      const writer = await repo.startPoint({ vm: TEST_VM });
      await writer.addDisk({ name: 'vda', sizeBytes: data.length }).writeExtent(0, data);
      await writer.commit({ consistency: 'crash-consistent' });
      await repo.close();
      const reopened = await Repository.open(new LocalDirectoryBackend(join(dir, name)));
      expect(reopened.encrypted).toBe(false);
      const [point] = await reopened.listPoints();
      const reader = await reopened.openDisk(point!.id, 'vda');
      expect(sha256(await reader.read(0, reader.size))).toBe(sha256(data));
      expect(await reopened.verify({ readData: true })).toMatchObject({ ok: true });
      expect((await reopened.stats()).uniqueChunks).toBeGreaterThan(0);
      await reopened.close();
    }
    // Same content, different id keys (and gear tables): no shared fingerprints between the two.
    const ids = await Promise.all(
      ['plain-a', 'plain-b'].map(async (n) => {
        const repo = await Repository.open(new LocalDirectoryBackend(join(dir, n)));
        const [p] = await repo.listPoints();
        await repo.close();
        return p!.disks[0]!.map;
      }),
    );
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('refuses to init over an existing repository and to open a directory that is none', async () => {
    await expect(initRepo(join(dir, 'plain-a'))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(openRepo(join(dir, 'nothing-here'))).rejects.toThrow(
      /There is no Hyperkeep repository at .*nothing-here/,
    );
  });

  it('changes the passphrase: the old one stops working, the data stays', async () => {
    const repo = await initRepo(join(dir, 'enc'));
    const writer = await repo.startPoint({ vm: TEST_VM });
    await writer
      .addDisk({ name: 'vda', sizeBytes: 2 ** 20 })
      .writeExtent(0, seededBytes('x', 2 ** 20));
    const point = await writer.commit({ consistency: 'crash-consistent' });
    await repo.changePassphrase('new secret', TEST_KDF);
    await repo.close();
    await expect(openRepo(join(dir, 'enc'))).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await expect(Repository.open(new LocalDirectoryBackend(join(dir, 'enc')))).rejects.toThrow(
      /is encrypted: enter its passphrase/,
    );
    const reopened = await openRepo(join(dir, 'enc'), 'new secret');
    const reader = await reopened.openDisk(point.id, 'vda');
    expect(sha256(await reader.read(0, reader.size))).toBe(sha256(seededBytes('x', 2 ** 20)));
    await reopened.close();
  });
});

/**
 * gc against restores in other processes: a second console attached to the same repository (or
 * a CLI next to `serve`) restores while this one prunes. The process that reads holds a shared
 * lock file, which gc's exclusive lock waits for; a reader waits for another process's gc.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDirectoryBackend } from '../../../src-main/engine/repository/backends/local-directory';
import { RepositoryLock } from '../../../src-main/engine/repository/locks';
import { Repository } from '../../../src-main/engine/repository/repository';
import { hashReader, initRepoForGc, makeTempDir, PASSPHRASE } from './helpers';

const MIB = 1024 * 1024;
const FIXTURE = join(import.meta.dirname, 'fixtures', 'hold-reader.ts');
let dir: string;
let repoDir: string;
let repo: Repository;
let keptImage: Buffer;
let kept: string;
let gone: string;

/** hold-reader.ts in a process of its own: a restore from a second console. */
function restoreElsewhere(pointId: string) {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, repoDir, PASSPHRASE, pointId], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  proc.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    for (const wake of waiters.splice(0)) wake();
  });
  proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('close', resolve));
  const said = async (pattern: RegExp): Promise<RegExpExecArray> => {
    // Bounded by the test's timeout; every wake-up follows new output or the exit.
    for (;;) {
      const match = pattern.exec(out);
      if (match) return match;
      if (proc.exitCode !== null) throw new Error(`the restore exited: ${err}${out}`);
      await Promise.race([new Promise<void>((r) => waiters.push(r)), exited]);
    }
  };
  return {
    opened: () => said(/^OPEN$/m),
    finish: async () => {
      proc.stdin.end('read the rest\n');
      const sha = (await said(/^SHA256 (\w+)$/m))[1];
      expect(await exited, err).toBe(0);
      return sha;
    },
    kill: () => proc.kill('SIGKILL'),
  };
}

beforeAll(async () => {
  dir = await makeTempDir('gc-processes');
  ({ repo, repoDir, keptImage, kept, gone } = await initRepoForGc(dir));
}, 60_000);

afterAll(async () => {
  await repo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('gc and restores in other processes', () => {
  it('gc waits for a restore in another process, which reads every byte, then frees the space', async () => {
    const restore = restoreElsewhere(kept);
    try {
      await restore.opened();
      await repo.deletePoints([gone]);
      let holders: string[] = [];
      let gcDone = false;
      const gc = repo
        .gc({ repackThreshold: 0, lockWaitMs: 60_000, onWaitForLock: (h) => (holders = h) })
        .finally(() => (gcDone = true));
      await new Promise((r) => setTimeout(r, 1500));
      expect(gcDone).toBe(false);
      expect(holders).toEqual(['restore (reading restore points)']);
      // The restore goes on with gc waiting, and reads the disk as it was backed up.
      expect(await restore.finish()).toBe(createHash('sha256').update(keptImage).digest('hex'));
      const result = await gc;
      expect(result.freedBytes).toBeGreaterThan(4 * MIB);
      // The restore's lock went with it; the repository is whole and reads here too.
      expect(await readdir(join(repoDir, 'locks'))).toEqual([]);
      expect(await repo.verify({ readData: true })).toMatchObject({ ok: true, points: 1 });
      expect(await hashReader(await repo.openDisk(kept, 'vda'))).toBe(
        createHash('sha256').update(keptImage).digest('hex'),
      );
    } finally {
      restore.kill();
    }
  });

  it('a restore waits while another process runs gc, and gives up naming it', async () => {
    // Another console's gc, as its lock file shows it.
    const other = await RepositoryLock.acquire(
      new LocalDirectoryBackend(repoDir),
      'exclusive',
      'gc',
    );
    let opened = false;
    const reader = repo.openDisk(kept, 'vda').then((r) => {
      opened = true;
      return r;
    });
    const impatient = await Repository.open(new LocalDirectoryBackend(repoDir), {
      passphrase: PASSPHRASE,
      readLockWaitMs: 300,
    });
    try {
      await expect(impatient.openDisk(kept, 'vda')).rejects.toThrow(
        /is in use: gc \(exclusive lock\) by pid \d+/,
      );
      expect(opened).toBe(false);
      await other.release();
      expect(await hashReader(await reader)).toBe(
        createHash('sha256').update(keptImage).digest('hex'),
      );
    } finally {
      await other.release();
      await impatient.close();
    }
  });

  it('one lock file for all the readers of a process, gone with the last of them', async () => {
    const locks = () => readdir(join(repoDir, 'locks'));
    const a = await repo.openDisk(kept, 'vda');
    const b = await repo.openDisk(kept, 'vda');
    expect(await locks()).toHaveLength(1);
    await a.close();
    expect(await locks()).toHaveLength(1);
    await b.close();
    // Released in the background; gc here waits for it, so it never meets its own reader's lock.
    await expect(repo.gc()).resolves.toMatchObject({ deletedPacks: 0 });
    expect(await locks()).toEqual([]);
  });
});

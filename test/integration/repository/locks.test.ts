import { spawn } from 'node:child_process';
import { writeFile, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../shared/errors';
import {
  FOREIGN_STALE_MS,
  processStartOf,
  type LockFile,
} from '../../../src-main/engine/repository/locks';
import type { Repository } from '../../../src-main/engine/repository/repository';
import { TEST_VM, initRepo, makeTempDir } from './helpers';

function lockFile(overrides: Partial<LockFile>): LockFile {
  const now = new Date().toISOString();
  return {
    format: 'hyperkeep-lock',
    version: 1,
    kind: 'shared',
    operation: 'backup of db-01',
    hostname: hostname(),
    pid: 1,
    processStart: null,
    createdAt: now,
    refreshedAt: now,
    ...overrides,
  };
}

/** A process that is running (sleep), and stops when told. */
function liveProcess(): { pid: number; stop: () => Promise<void> } {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return {
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('repository locks', () => {
  let dir: string;
  let repo: Repository;
  const locks = () => readdir(join(dir, 'locks')).catch(() => [] as string[]);
  const plant = (name: string, lock: LockFile) =>
    writeFile(join(dir, 'locks', name), JSON.stringify(lock));

  beforeAll(async () => {
    dir = await makeTempDir('repo-locks');
    repo = await initRepo(dir, { workers: 0 });
    await (await repo.startPoint({ vm: TEST_VM })).abort(); // creates locks/
  });

  afterAll(async () => {
    await repo.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('detects and clears the lock of a dead process on this host', async () => {
    const proc = liveProcess();
    const start = processStartOf(proc.pid);
    await proc.stop();
    await plant(
      'dead',
      lockFile({ kind: 'exclusive', operation: 'gc', pid: proc.pid, processStart: start }),
    );
    const writer = await repo.startPoint({ vm: TEST_VM, lockWaitMs: 0 });
    expect(await locks()).not.toContain('dead');
    await writer.abort();
    expect(await locks()).toEqual([]);
  });

  it('makes gc refuse while a live process on this host backs up, naming the holder', async () => {
    const proc = liveProcess();
    try {
      await plant('live', lockFile({ pid: proc.pid, processStart: processStartOf(proc.pid) }));
      const err = await repo.gc({ lockWaitMs: 0 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HyperkeepError);
      expect((err as HyperkeepError).code).toBe('TIMEOUT');
      expect((err as HyperkeepError).message).toContain(
        `backup of db-01 (shared lock) by pid ${proc.pid} on ${hostname()}`,
      );
      // Backups share: another one may start next to it.
      await (await repo.startPoint({ vm: TEST_VM, lockWaitMs: 0 })).abort();
    } finally {
      await proc.stop();
    }
    // Once the holder is gone its lock is stale and gc proceeds.
    await repo.gc({ lockWaitMs: 0 });
    expect(await locks()).toEqual([]);
  });

  it('treats a reused pid (same pid, other start time) as stale', async () => {
    const proc = liveProcess();
    try {
      await plant(
        'reused',
        lockFile({ kind: 'exclusive', pid: proc.pid, processStart: 'another-boot:12345' }),
      );
      await (await repo.startPoint({ vm: TEST_VM, lockWaitMs: 0 })).abort();
      expect(await locks()).toEqual([]);
    } finally {
      await proc.stop();
    }
  });

  it('trusts another host’s lock until it has not been refreshed for 30 minutes', async () => {
    const fresh = lockFile({ kind: 'exclusive', hostname: 'other-host', pid: 4242 });
    await plant('remote', fresh);
    await expect(repo.startPoint({ vm: TEST_VM, lockWaitMs: 0 })).rejects.toThrow(
      /backup of db-01 \(exclusive lock\) by pid 4242 on other-host/,
    );
    const old = new Date(Date.now() - FOREIGN_STALE_MS - 60_000).toISOString();
    await plant('remote', { ...fresh, refreshedAt: old });
    await (await repo.startPoint({ vm: TEST_VM, lockWaitMs: 0 })).abort();
    expect(await locks()).toEqual([]);
  });

  it('lets gc wait for a running backup and run once it has committed', async () => {
    const writer = await repo.startPoint({ vm: TEST_VM });
    const disk = writer.addDisk({ name: 'vda', sizeBytes: 2 ** 20 });
    await disk.writeExtent(0, new Uint8Array(2 ** 20).fill(3));
    let gcDone = false;
    const gc = repo.gc({ lockWaitMs: 20_000 }).then(() => (gcDone = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(gcDone).toBe(false);
    const point = await writer.commit({ consistency: 'crash-consistent' });
    await gc;
    // The point committed while gc waited is intact.
    const reader = await repo.openDisk(point.id, 'vda');
    expect(Buffer.from(await reader.read(0, 16)).equals(Buffer.alloc(16, 3))).toBe(true);
    await reader.close();
    expect(await repo.verify({ readData: true })).toMatchObject({ ok: true, points: 1 });
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Repository } from '../../../src-main/engine/repository/repository';
import {
  PASSPHRASE,
  SEEDED_DISK_BYTES,
  hashFile,
  hashReader,
  initRepo,
  makeExt4Image,
  makeTempDir,
  seededBytes,
  sha256,
  writeSeededPoint,
} from './helpers';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'write-point.ts');

interface Child {
  proc: ChildProcess;
  started: Promise<void>;
  /** Resolves when the writer is between its two disks (or has exited). */
  midway: Promise<void>;
  exited: Promise<{ committed: boolean; pointId: string; stderr: string }>;
}

/** Runs the fixture on this Node (24) through tsx, as `npx tsx` would. */
function spawnWriter(repoDir: string, image: string, seed: string): Child {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', FIXTURE, repoDir, PASSPHRASE, image, seed],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  let onStart: () => void = () => undefined;
  let onMidway: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (onStart = resolve));
  const midway = new Promise<void>((resolve) => (onMidway = resolve));
  proc.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.includes('START\n')) onStart();
    if (out.includes('MIDWAY\n')) onMidway();
  });
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<{ committed: boolean; pointId: string; stderr: string }>((resolve) =>
    proc.on('close', () => {
      onStart();
      onMidway();
      const id = /COMMITTED (\S+)/.exec(out)?.[1];
      resolve({ committed: id !== undefined, pointId: id ?? '', stderr: err });
    }),
  );
  return { proc, started, midway, exited };
}

describe('crash safety: kill -9 while a backup writes', () => {
  let dir: string;
  let repoDir: string;
  let image: string;
  let repo: Repository;

  beforeAll(async () => {
    dir = await makeTempDir('repo-crash');
    repoDir = join(dir, 'repo');
    image = await makeExt4Image(dir, 32, 16e6);
    // Small packs: more pack and index writes, so more instants at which a kill can land.
    repo = await initRepo(repoDir, { packTargetSize: 1024 * 1024 });
  });

  afterAll(async () => {
    await repo?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves every earlier point restorable, and the next backup commits', async () => {
    const t0 = performance.now();
    const base = await writeSeededPoint(repo, image, 'base');
    const duration = performance.now() - t0;

    let killedMidWrite = 0;
    const reported: string[] = [];
    for (let i = 0; i < 3; i++) {
      const child = spawnWriter(repoDir, image, `killed-${i}`);
      await child.started;
      // The first kill lands half way through for sure, whatever the machine's load; the
      // others anywhere from just after the lock is taken to past a normal run's end.
      if (i === 0) await child.midway;
      else await new Promise((r) => setTimeout(r, duration * (0.1 + 1.1 * Math.random())));
      child.proc.kill('SIGKILL');
      const end = await child.exited;
      if (!end.committed) killedMidWrite++;
      else {
        expect(end.stderr).toBe('');
        reported.push(end.pointId);
      }
    }
    const leftovers = (await readdir(join(repoDir, 'packs'), { recursive: true })).length;
    console.log(
      `a write took ${duration.toFixed(0)} ms; ${killedMidWrite} of 3 kills landed before the commit; packs/ holds ${leftovers} entries`,
    );
    expect(killedMidWrite).toBeGreaterThan(0);
    // Each writer clears the stale locks of killed ones before it; the last one's is still there.
    expect((await readdir(join(repoDir, 'locks'))).length).toBeLessThanOrEqual(1);

    const report = await repo.verify({ readData: true });
    expect(report.errors).toEqual([]);
    const vda = await hashFile(image);
    expect(await hashReader(await repo.openDisk(base, 'vda'))).toBe(vda);
    expect(await hashReader(await repo.openDisk(base, 'vdb'))).toBe(
      sha256(seededBytes('base', SEEDED_DISK_BYTES)),
    );

    // The next backup clears the stale lock and commits.
    await writeSeededPoint(repo, image, 'after');
    expect(await readdir(join(repoDir, 'locks'))).toEqual([]);

    // gc removes what the killed writers uploaded; everything committed still reads back.
    const gc = await repo.gc();
    console.log(`gc after the crashes: ${JSON.stringify(gc)}`);
    expect(await repo.verify({ readData: true })).toMatchObject({ ok: true });
    const points = await repo.listPoints();
    // A kill can also land after a point's manifest is durable but before its writer says so:
    // that point is committed, and must read back like the others.
    expect(points.length).toBeGreaterThanOrEqual(2 + 3 - killedMidWrite);
    expect(points.length).toBeLessThanOrEqual(2 + 3);
    for (const id of reported) expect(points.map((p) => p.id)).toContain(id);
    for (const p of points) {
      expect(await hashReader(await repo.openDisk(p.id, 'vda'))).toBe(vda);
      expect(await hashReader(await repo.openDisk(p.id, 'vdb'))).toBe(
        sha256(seededBytes(String(p.meta.seed), SEEDED_DISK_BYTES)),
      );
    }
  });
});

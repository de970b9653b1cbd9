import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../../../shared/domain/jobs';
import { openCatalog, type CatalogDb } from '../../../../src-main/engine/catalog/catalog';
import { EngineEvents } from '../../../../src-main/engine/engine-events';
import { JobController } from '../../../../src-main/engine/jobs/job-controller';

const dirs: string[] = [];
const dbs: CatalogDb[] = [];
function setup() {
  const home = mkdtempSync(join(tmpdir(), 'hk-jobs-'));
  dirs.push(home);
  const db = openCatalog(join(home, 'catalog.sqlite'));
  dbs.push(db);
  const events = new EngineEvents();
  const seen: { event: string; job: Job }[] = [];
  events.onAny((event, payload) => seen.push({ event, job: (payload as { job: Job }).job }));
  return { home, db, events, seen, jobs: new JobController(db, events, home) };
}
afterEach(() => {
  dbs.splice(0).forEach((db) => db.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('job controller', () => {
  it('lists jobs of one kind since a moment, or between two, newest first', async () => {
    const { jobs, db } = setup();
    const ids: string[] = [];
    for (const kind of ['backup', 'verify', 'backup', 'backup'] as const) {
      const job = jobs.start(kind, `${kind} ${ids.length}`, async () => ({}));
      await jobs.wait(job.id);
      ids.push(job.id);
      // A millisecond apart at least: the list is ordered by creation time.
      await new Promise((r) => setTimeout(r, 5));
    }
    // The first backup ran three weeks ago, as far as the history is concerned.
    db.prepare('UPDATE jobs SET created_at = ? WHERE id = ?').run(
      '2026-01-01T00:00:00.000Z',
      ids[0],
    );
    expect(jobs.list(100, { kind: 'backup' }).map((j) => j.id)).toEqual([ids[3], ids[2], ids[0]]);
    const since = jobs.list(100, { kind: 'backup', since: '2026-01-01T01:00:00+01:00' });
    expect(since.map((j) => j.id)).toEqual([ids[3], ids[2], ids[0]]);
    const later = jobs.list(100, { kind: 'backup', since: '2026-01-02T00:00:00Z' });
    expect(later.map((j) => j.id)).toEqual([ids[3], ids[2]]);
    // One day's jobs (the Jobs page's day filter): created before its end, in any offset.
    const day = { since: '2026-01-01T00:00:00Z', until: '2026-01-02T01:00:00+01:00' };
    expect(jobs.list(100, { kind: 'backup', ...day }).map((j) => j.id)).toEqual([ids[0]]);
    expect(jobs.list(100, { kind: 'verify' }).map((j) => j.id)).toEqual([ids[1]]);
    expect(jobs.list(1).map((j) => j.id)).toEqual([ids[3]]);
  });

  it('reports per-task progress with a rate and ETA, then the outcome, and keeps a readable log', async () => {
    const { jobs, seen } = setup();
    const started = jobs.start('backup', 'Backup of test', async (ctx) => {
      const task = ctx.task('vm-1', 'vm-1');
      for (let i = 1; i <= 6; i++) {
        await new Promise((r) => setTimeout(r, 120));
        task.progress({ phase: 'read vda', bytesDone: i * 10_000_000, bytesTotal: 60_000_000 });
      }
      task.finish('succeeded', 'point p1');
      return { points: ['p1'] };
    });
    expect(started.status).toBe('running');
    const done = await jobs.wait(started.id);
    expect(done).toMatchObject({
      status: 'succeeded',
      bytesDone: 60_000_000,
      bytesTotal: 60_000_000,
      result: { points: ['p1'] },
    });
    const progress = seen.filter((s) => s.event === 'job.progress').map((s) => s.job);
    expect(progress.some((j) => j.rate > 0 && j.etaSeconds !== undefined)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ event: 'job.changed', job: { status: 'succeeded' } });
    expect(jobs.log(started.id)).toMatch(
      /Job started: Backup of test[\s\S]*vm-1: read vda[\s\S]*vm-1: succeeded — point p1[\s\S]*Job succeeded/,
    );
  });

  it('cancel aborts the work through its signal and the job ends cancelled', async () => {
    const { jobs } = setup();
    const job = jobs.start('backup', 'long', async (ctx) => {
      ctx.task('vm', 'vm');
      await new Promise<void>((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
      );
    });
    jobs.cancel(job.id);
    const done = await jobs.wait(job.id);
    expect(done.status).toBe('cancelled');
    expect(done.tasks[0]!.status).toBe('cancelled');
  });

  it('a failing task makes the job partial or failed, with the message a person reads', async () => {
    const { jobs } = setup();
    const job = jobs.start('backup', 'two VMs', async (ctx) => {
      ctx.task('a', 'a').finish('succeeded');
      ctx.task('b', 'b').finish('failed', 'Cannot connect to libvirt');
    });
    const done = await jobs.wait(job.id);
    expect(done.status).toBe('partial');
    expect(done.tasks[1]).toMatchObject({ status: 'failed', message: 'Cannot connect to libvirt' });
    const failing = await jobs.wait(
      jobs.start('verify', 'x', async () => {
        throw new Error('disk full');
      }).id,
    );
    expect(failing).toMatchObject({
      status: 'failed',
      error: { message: expect.stringContaining('disk full') },
    });
  });

  it('reports no job total while a VM has not started, so the job never reads 100 % early', async () => {
    const { jobs, seen } = setup();
    let release!: () => void;
    const waiting = new Promise<void>((r) => (release = r));
    let finish!: () => void;
    const finishing = new Promise<void>((r) => (finish = r));
    const job = jobs.start('backup', 'two VMs', async (ctx) => {
      const web = ctx.task('web', 'lab-web-01');
      const win = ctx.task('win', 'lab-win-01');
      web.progress({ phase: 'read vda', bytesDone: 100, bytesTotal: 100 });
      web.finish('succeeded');
      await waiting;
      win.progress({ phase: 'read sda', bytesDone: 50, bytesTotal: 300 });
      await finishing;
      win.progress({ bytesDone: 300 });
      win.finish('succeeded');
    });
    await new Promise((r) => setTimeout(r, 50));
    // lab-web-01 is done, lab-win-01 is still "starting" at 0 B: the total is not known yet.
    const early = jobs.get(job.id);
    expect(early.tasks[1]).toMatchObject({ phase: 'starting', bytesTotal: 0 });
    expect(early).toMatchObject({ bytesDone: 100, bytesTotal: 0 });
    expect(early.etaSeconds).toBeUndefined();
    release();
    await new Promise((r) => setTimeout(r, 50));
    // Once every VM is sized, the job's total is theirs: 150 of 400 bytes.
    expect(jobs.get(job.id)).toMatchObject({ bytesDone: 150, bytesTotal: 400 });
    finish();
    const done = await jobs.wait(job.id);
    expect(done).toMatchObject({ status: 'succeeded', bytesDone: 400, bytesTotal: 400 });
    const reported = seen.filter((s) => s.event === 'job.progress').map((s) => s.job);
    // Never a total that the bytes done fill while a task still runs unsized.
    for (const j of reported) {
      const unsized = j.tasks.some((t) => t.status === 'running' && t.bytesTotal === 0);
      if (unsized) expect(j.bytesTotal).toBe(0);
    }
  });

  it('a task created waiting keeps the job total unknown until it starts, and ends cancelled unstarted', async () => {
    const { jobs } = setup();
    let startWin!: () => void;
    const gate = new Promise<void>((r) => (startWin = r));
    const job = jobs.start('backup', 'two VMs, one slot', async (ctx) => {
      const web = ctx.task('web', 'lab-web-01', { waiting: 'waiting for a free slot' });
      const win = ctx.task('win', 'lab-win-01', { waiting: 'waiting for a free slot' });
      web.start();
      web.progress({ phase: 'read vda', bytesDone: 100, bytesTotal: 100 });
      web.finish('succeeded');
      await gate;
      win.start();
      win.progress({ phase: 'read sda', bytesDone: 300, bytesTotal: 300 });
      win.finish('succeeded');
    });
    await new Promise((r) => setTimeout(r, 50));
    // lab-web-01 is done, lab-win-01 waits for its slot: not 100 %, no total yet.
    const early = jobs.get(job.id);
    expect(early.tasks[1]).toMatchObject({
      status: 'queued',
      phase: 'waiting for a free slot',
      bytesTotal: 0,
    });
    expect(early).toMatchObject({ status: 'running', bytesDone: 100, bytesTotal: 0 });
    startWin();
    expect(await jobs.wait(job.id)).toMatchObject({
      status: 'succeeded',
      bytesDone: 400,
      bytesTotal: 400,
    });
    expect(jobs.log(job.id)).toMatch(/lab-win-01: starting[\s\S]*lab-win-01: read sda/);

    const cancelled = jobs.start('backup', 'cancelled while waiting', async (ctx) => {
      ctx.task('win', 'lab-win-01', { waiting: 'waiting for a free slot' });
      await new Promise<void>((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
      );
    });
    jobs.cancel(cancelled.id);
    const ended = await jobs.wait(cancelled.id);
    expect(ended.status).toBe('cancelled');
    expect(ended.tasks[0]).toMatchObject({
      status: 'cancelled',
      phase: 'cancelled',
      message: expect.stringContaining('Did not start'),
    });
  });

  it('history survives a restart, and a job the engine died during is marked failed', async () => {
    const { db, events, home, jobs } = setup();
    const ok = await jobs.wait(jobs.start('verify', 'done before', async () => undefined).id);
    jobs.start('backup', 'interrupted', () => new Promise(() => undefined));
    const again = new JobController(db, events, home);
    const list = again.list();
    expect(list.find((j) => j.id === ok.id)?.status).toBe('succeeded');
    expect(list.find((j) => j.title === 'interrupted')).toMatchObject({
      status: 'failed',
      error: { message: 'The engine stopped while this job ran.' },
    });
  });
});

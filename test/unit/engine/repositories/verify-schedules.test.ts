import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers, type Handlers } from '../../../../src-main/engine/api/handlers';
import { dispatch } from '../../../../src-main/engine/api/dispatch';
import { Engine } from '../../../../src-main/engine/engine';
import { Scheduler } from '../../../../src-main/engine/jobs/scheduler';

let home: string;
let engine: Engine;
let handlers: Handlers;
let scheduler: Scheduler;
const logged: string[] = [];

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'hk-verify-sched-'));
  engine = Engine.open({ home, mode: 'serve' });
  handlers = createHandlers(engine);
  await engine.repositories.init({ name: 'lab', location: join(home, 'repo'), encrypt: false });
  scheduler = new Scheduler(engine, (line) => logged.push(line));
});

afterAll(async () => {
  scheduler.stop();
  await engine.close();
  rmSync(home, { recursive: true, force: true });
});

const set = (schedule: object) =>
  dispatch(handlers, 'repo.setVerifySchedule', { name: 'lab', schedule });

describe('scheduled repository verification', () => {
  it('is off until set, and says when it runs next once on', async () => {
    expect(await dispatch(handlers, 'repo.verifySchedule', { name: 'lab' })).toMatchObject({
      ok: true,
      value: { enabled: false, cron: '0 3 * * 0', readData: true, nextRuns: [] },
    });
    const on = await set({
      enabled: true,
      cron: '0 3 * * 0',
      timezone: 'Europe/Paris',
      readData: true,
    });
    expect(on).toMatchObject({ ok: true, value: { repository: 'lab', enabled: true } });
    const next = (on as { value: { nextRuns: string[] } }).value.nextRuns;
    expect(next).toHaveLength(3);
    // 03:00 in Paris on a Sunday is 01:00 or 02:00 UTC, a week apart.
    expect(new Date(next[0]!).getUTCDay()).toBe(0);
    expect(new Date(next[1]!).getTime() - new Date(next[0]!).getTime()).toBe(7 * 86_400_000);
  });

  it('refuses a bad expression, time zone or repository, naming what is wrong', async () => {
    expect(
      await set({ enabled: true, cron: 'every sunday', timezone: 'UTC', readData: false }),
    ).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { field: 'cron' } } });
    expect(
      await set({ enabled: true, cron: '0 3 * * 0', timezone: 'Mars/Olympus', readData: false }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', details: { field: 'timezone' } },
    });
    expect(await dispatch(handlers, 'repo.verifySchedule', { name: 'nowhere' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('starts a verify job when its cron fires, and stops once turned off', async () => {
    await set({ enabled: true, cron: '* * * * * *', timezone: 'UTC', readData: true });
    await new Promise((r) => setTimeout(r, 2_500));
    const verifies = engine.jobs.list().filter((j) => j.kind === 'verify');
    expect(verifies.length).toBeGreaterThanOrEqual(1);
    expect(verifies[0]!.title).toBe('Scheduled verify lab (read all data)');
    expect(logged.some((l) => l.startsWith('scheduled verify started'))).toBe(true);
    await engine.jobs.wait(verifies[0]!.id);
    expect(engine.jobs.get(verifies[0]!.id).status).toBe('succeeded');

    await set({ enabled: false, cron: '* * * * * *', timezone: 'UTC', readData: true });
    await new Promise((r) => setTimeout(r, 300));
    const count = engine.jobs.list().length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(engine.jobs.list().length).toBe(count);
  });
});

/**
 * Retrying the VMs a backup job failed to back up, against the lab's libvirt: a scheduled job
 * retries them on its own (the subclient's Automatic retry), a job started by hand does not and
 * offers "Retry failed VMs" (job.retry) instead. The failure is real and passing: a pre-backup
 * command that refuses its first run, as a host busy for a moment would. And the subclient's
 * backup window, which holds scheduled jobs (retries included) to its hours.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Channel, RequestOf } from '../../../shared/contract';
import type { Job } from '../../../shared/domain/jobs';
import { createHandlers, type Handlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';
import { backupSubclient } from '../../../src-main/engine/jobs/backup-job';
import { Scheduler } from '../../../src-main/engine/jobs/scheduler';
import { apiCall } from '../../harness/api-calls';

const lab = inject('lab');
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;
const VM = 'lab-archive-01';
let dir: string;
let engine: Engine;
let handlers: Handlers;
let setId: string;
let subclientId: string;
const call = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  apiCall(handlers, channel, request);

/** A pre-backup command that fails its first run (leaving `marker`) and succeeds after. */
const refusesOnce = (marker: string) =>
  `test -e '${marker}' || { touch '${marker}'; echo 'first attempt refused' >&2; exit 1; }`;

async function configure(settings: {
  preCommand: string;
  attempts: number;
  waitSeconds: number;
}): Promise<void> {
  await call('subclient.update', {
    id: subclientId,
    settings: {
      prePost: { preCommand: settings.preCommand },
      retry: { attempts: settings.attempts, waitSeconds: settings.waitSeconds },
    },
  });
}

/** Every state the job's rows went through, as the console saw them. */
function watchTasks(): { seen: Job['tasks'][number][] } {
  const seen: Job['tasks'][number][] = [];
  engine.events.onAny((event, payload) => {
    if (event === 'job.progress') seen.push(...(payload as { job: Job }).job.tasks);
  });
  return { seen };
}

const pointsOf = async () => (await call('points.list', { vm: VM })).length;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-backup-retry-'));
  engine = Engine.open({ home: join(dir, 'home'), mode: 'cli' });
  handlers = createHandlers(engine);
  const hypervisor = await call('hypervisor.add', {
    name: host1.name,
    type: 'libvirt',
    uri: host1.uri,
  });
  await call('repo.init', { location: join(dir, 'repo'), encrypt: false });
  const set = await call('backupSet.create', { name: 'lab', hypervisorIds: [hypervisor.id] });
  setId = set.id;
  const subclient = await call('subclient.create', {
    backupSetId: setId,
    name: 'archive',
    content: { rules: [{ type: 'name', pattern: `^${VM}$` }] },
  });
  subclientId = subclient.id;
});

afterAll(async () => {
  await engine?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('retrying the VMs a backup job failed to back up', () => {
  it('a scheduled job backs a failed VM up again after the wait, and says so', async () => {
    const marker = join(dir, 'scheduled-once');
    await configure({ preCommand: refusesOnce(marker), attempts: 2, waitSeconds: 1 });
    const { seen } = watchTasks();
    const before = await pointsOf();
    const job = await backupSubclient(engine, setId, subclientId, false, true);
    const done = await engine.jobs.wait(job.id);

    expect(existsSync(marker)).toBe(true);
    expect(done.status).toBe('succeeded');
    expect(done.tasks).toEqual([expect.objectContaining({ label: VM, status: 'succeeded' })]);
    // While it waited, its row said when the next attempt comes and why the last one failed.
    const waiting = seen.find((t) => t.status === 'queued' && t.phase.startsWith('retry'));
    expect(waiting?.phase).toMatch(/^retry 1 of 2 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(waiting?.message).toMatch(/^Attempt 1 failed: .*first attempt refused/);
    expect(done.warnings).toEqual([
      expect.stringMatching(
        new RegExp(`^${VM}: backed up on attempt 2 of 3 \\(attempt 1: .*first attempt refused`),
      ),
    ]);
    expect(engine.jobs.log(job.id)).toMatch(/1 VM\(s\) failed; retry 1 of 2 in 1 s/);
    expect(await pointsOf()).toBe(before + 1);
    // The wait is recorded, so the job's average rate can leave it out.
    expect(done.result).toMatchObject({ retryWaitSeconds: 1 });
  });

  it('a scheduled job gives up after its retries, with the last reason on the VM', async () => {
    await configure({
      preCommand: 'echo "datastore offline" >&2; exit 3',
      attempts: 1,
      waitSeconds: 0,
    });
    const before = await pointsOf();
    const job = await backupSubclient(engine, setId, subclientId, false, true);
    const done = await engine.jobs.wait(job.id);

    expect(done.status).toBe('failed');
    expect(done.tasks[0]).toMatchObject({ label: VM, status: 'failed' });
    expect(done.tasks[0]!.message).toMatch(/datastore offline/);
    // Two attempts: the first and one retry, each running the command.
    expect(engine.jobs.log(job.id).match(new RegExp(`${VM}: starting`, 'g'))).toHaveLength(2);
    expect(await pointsOf()).toBe(before);
  });

  it('a job started by hand is not retried on its own; "Retry failed VMs" backs them up', async () => {
    const marker = join(dir, 'by-hand-once');
    await configure({ preCommand: refusesOnce(marker), attempts: 2, waitSeconds: 0 });
    const before = await pointsOf();
    const first = await engine.jobs.wait((await call('backup.start', { vm: VM })).id);
    expect(first.status).toBe('failed');
    expect(engine.jobs.log(first.id).match(new RegExp(`${VM}: starting`, 'g'))).toHaveLength(1);
    expect(await pointsOf()).toBe(before);

    const retry = await call('job.retry', { id: first.id });
    expect(retry.title).toBe(`Retry of ${first.title}`);
    const done = await engine.jobs.wait(retry.id);
    expect(done.status).toBe('succeeded');
    expect(done.tasks).toEqual([expect.objectContaining({ label: VM, status: 'succeeded' })]);
    expect(await pointsOf()).toBe(before + 1);
    // Nothing is left to retry, and a job that is not a backup cannot be retried.
    await expect(call('job.retry', { id: retry.id })).rejects.toThrow(/nothing to retry/);
    const verify = await engine.jobs.wait((await call('repo.verify', { name: 'default' })).id);
    await expect(call('job.retry', { id: verify.id })).rejects.toThrow(
      /Only backup jobs can be retried/,
    );
  });

  it('a schedule that fires while its last job still waits to retry skips that run', async () => {
    await call('subclient.update', {
      id: subclientId,
      settings: {
        prePost: { preCommand: 'exit 1' },
        retry: { attempts: 1, waitSeconds: 600 },
        schedule: { enabled: true, full: '* * * * * *', incremental: '0 0 1 1 *' },
      },
    });
    const logged: string[] = [];
    const before = engine.jobs.list().length;
    const scheduler = new Scheduler(engine, (line) => logged.push(line));
    try {
      // Bounded by the test's timeout: the every-second schedule fires again while the first
      // job waits ten minutes for its retry.
      while (!logged.some((l) => l.includes('skipped')))
        await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      scheduler.stop();
    }
    const started = engine.jobs.list().slice(0, engine.jobs.list().length - before);
    expect(started).toHaveLength(1);
    expect(logged).toContainEqual(
      `scheduled full backup skipped: the previous scheduled job (${started[0]!.id}) still runs`,
    );
    engine.jobs.cancel(started[0]!.id);
    expect((await engine.jobs.wait(started[0]!.id)).status).toBe('cancelled');
    await call('subclient.update', { id: subclientId, settings: {} });
  });

  it('cancelling a job that waits to retry ends it at once, the VM cancelled', async () => {
    await configure({ preCommand: 'exit 1', attempts: 2, waitSeconds: 600 });
    const job = await backupSubclient(engine, setId, subclientId, false, true);
    // Bounded by the test's timeout: the row says when it waits for its retry.
    while (!engine.jobs.get(job.id).tasks[0]?.phase.startsWith('retry 1 of 2'))
      await new Promise((resolve) => setTimeout(resolve, 50));
    const cancelledAt = Date.now();
    engine.jobs.cancel(job.id);
    const done = await engine.jobs.wait(job.id);
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    expect(done.status).toBe('cancelled');
    expect(done.tasks[0]).toMatchObject({
      label: VM,
      status: 'cancelled',
      message: 'Cancelled by the administrator.',
    });
  });
});

/** HH:MM in UTC, `minutes` from now (rounded down to the minute). */
function utcTime(minutes: number): string {
  return new Date(Date.now() + minutes * 60_000).toISOString().slice(11, 16);
}

describe('the backup window of scheduled jobs', () => {
  const window = (start: string, end: string) =>
    call('subclient.update', {
      id: subclientId,
      settings: {
        prePost: { preCommand: 'exit 1' },
        retry: { attempts: 2, waitSeconds: 600 },
        schedule: { timezone: 'UTC' },
        activity: { window: { enabled: true, start, end } },
      },
    });

  afterAll(() => call('subclient.update', { id: subclientId, settings: {} }));

  it('does not start a scheduled job outside the window; one started by hand runs', async () => {
    await window(utcTime(2), utcTime(3));
    await expect(backupSubclient(engine, setId, subclientId, false, true)).rejects.toThrow(
      /The scheduled backup of lab \/ archive is outside its backup window \d\d:\d\d–\d\d:\d\d \(UTC\)/,
    );
    const byHand = await backupSubclient(engine, setId, subclientId, false, false);
    // It ran (and failed on the pre-command), not refused.
    expect((await engine.jobs.wait(byHand.id)).status).toBe('failed');
  });

  it('stops a job still waiting to retry when the window closes, with the reason on its VM', async () => {
    // Closes at the next full minute: within 60 s, while the job waits 600 s to retry.
    await window(utcTime(-2), utcTime(1));
    const job = await backupSubclient(engine, setId, subclientId, false, true);
    const done = await engine.jobs.wait(job.id);
    expect(done.status).toBe('cancelled');
    expect(done.tasks[0]).toMatchObject({ label: VM, status: 'cancelled' });
    expect(done.tasks[0]?.message).toMatch(
      /^The backup window \d\d:\d\d–\d\d:\d\d \(UTC\) closed: stopped where it stood/,
    );
    expect(engine.jobs.log(job.id)).toMatch(/Cancel requested: The backup window/);
  }, 120_000);
});

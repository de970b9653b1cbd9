import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../../../src-main/engine/api/handlers';
import { dispatch } from '../../../../src-main/engine/api/dispatch';
import { Engine } from '../../../../src-main/engine/engine';
import { HyperkeepError } from '../../../../shared/errors';

/** A real HTTP server standing in for a chat webhook: it records every POST. */
interface Received {
  path: string;
  body: { text: string; job: { id: string; status: string } | null };
}
let server: Server;
let base: string;
let received: Received[] = [];
let answer = 200;
let dir: string;
let engine: Engine;

beforeAll(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(data) as Received['body'] });
      res.writeHead(answer).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'hk-notify-'));
  engine = Engine.open({ home: dir, mode: 'cli' });
});

afterAll(async () => {
  await engine.close();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  received = [];
  answer = 200;
});

/** Runs a job to its end, then lets the engine's deliveries finish. */
async function runJob(work: () => Promise<unknown>, warn?: string) {
  const job = engine.jobs.start('verify', 'Verify repository lab', async (ctx) => {
    if (warn) ctx.warn(warn);
    return work();
  });
  await engine.jobs.wait(job.id);
  await engine.notifier.idle();
  return job.id;
}

describe('job notifications', () => {
  it('keeps the webhook address secret: only its origin comes back', () => {
    const shown = engine.notifier.update({
      on: 'failures',
      webhookUrl: `${base}/hooks/T0KEN-secret`,
    });
    expect(shown).toEqual({ on: 'failures', webhook: `${base}/…`, lastDelivery: null });
    expect(JSON.stringify(engine.notifier.settings())).not.toContain('T0KEN');
    // Stored encrypted, not as text, in the catalog.
    const raw = engine.db.prepare('SELECT value FROM app_settings').get() as { value: string };
    expect(raw.value).not.toContain('T0KEN');
  });

  it('posts a failed job, with what failed, and not a job that succeeded', async () => {
    const failed = await runJob(async () => {
      throw new HyperkeepError('INTERNAL', 'pack 3f2a… is damaged: restore point p1 affected');
    });
    await runJob(async () => 'fine');
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe('/hooks/T0KEN-secret');
    expect(received[0]!.body.job).toMatchObject({ id: failed, status: 'failed' });
    expect(received[0]!.body.text).toMatch(
      /: Verify repository lab FAILED\.\npack 3f2a… is damaged/,
    );
    expect(engine.notifier.settings().lastDelivery).toMatchObject({
      ok: true,
      message: 'HTTP 200',
      jobId: failed,
    });
  });

  it('with "problems", also posts a job that succeeded with warnings; "off" posts nothing', async () => {
    engine.notifier.update({ on: 'problems' });
    await runJob(async () => 'fine', 'lab-db-01: the guest agent did not answer');
    expect(received.map((r) => r.body.text)).toEqual([
      expect.stringMatching(/succeeded with 1 warning\.\n• warning: lab-db-01: the guest agent/),
    ]);
    engine.notifier.update({ on: 'off' });
    await runJob(async () => {
      throw new Error('nobody hears this');
    });
    expect(received).toHaveLength(1);
  });

  it('says how a test went, and why a webhook could not be reached', async () => {
    engine.notifier.update({ on: 'failures' });
    answer = 403;
    expect(await engine.notifier.test()).toMatchObject({ ok: false, message: 'HTTP 403' });
    expect(received[0]!.body).toMatchObject({
      job: null,
      text: expect.stringMatching(/test message/),
    });
    // A port nothing listens on any more: refused at once, and reported.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    engine.notifier.update({ on: 'failures', webhookUrl: `http://127.0.0.1:${port}/hook` });
    const result = await engine.notifier.test();
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^Not delivered: .*ECONNREFUSED/);
    expect(engine.notifier.settings()).toMatchObject({
      webhook: `http://127.0.0.1:${port}/…`,
      lastDelivery: { ok: false },
    });
  });

  it('tells of a scheduled run that could not even start, as a failure without a job', async () => {
    engine.notifier.update({ on: 'failures', webhookUrl: `${base}/hooks/T0KEN-secret` });
    engine.notifier.problem(
      'The scheduled full backup of nightly / web',
      'Repository "offsite" is not registered.',
    );
    await engine.notifier.idle();
    expect(received.map((r) => r.body)).toEqual([
      expect.objectContaining({
        job: null,
        text: expect.stringMatching(
          /: The scheduled full backup of nightly \/ web could NOT START\.\nRepository "offsite"/,
        ),
      }),
    ]);
  });

  it('refuses an address that is not http(s), through the API as a console calls it', async () => {
    const handlers = createHandlers(engine);
    const bad = await dispatch(handlers, 'notifications.update', {
      on: 'failures',
      webhookUrl: 'file:///etc/passwd',
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const removed = await dispatch(handlers, 'notifications.update', {
      on: 'off',
      webhookUrl: null,
    });
    expect(removed).toMatchObject({ ok: true, value: { webhook: null } });
    // Turning notifications on without anywhere to send them is refused, naming the field.
    const nowhere = await dispatch(handlers, 'notifications.update', { on: 'all' });
    expect(nowhere).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', details: { field: 'webhookUrl' } },
    });
  });
});

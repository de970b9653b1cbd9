import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src-main/engine/engine';
import { readServerEndpoint } from '../../../src-main/engine/home';
import { startServer, type RunningServer } from '../../../src-main/server/serve';

let dir: string;
let engine: Engine;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hk-serve-'));
  const renderer = join(dir, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Hyperkeep</title>');
  writeFileSync(join(dir, 'outside.txt'), 'secret outside');
  engine = Engine.open({ home: join(dir, 'home'), mode: 'serve' });
  server = await startServer({ engine, rendererDir: renderer });
});
afterAll(async () => {
  await server.close();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const invoke = (channel: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/api/invoke/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('hyperkeep serve', () => {
  it('binds to loopback and tells the CLI of the same home where it is', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(readServerEndpoint(engine.home)?.url).toBe(server.url);
  });

  it('refuses requests without the token', async () => {
    const res = await invoke('hypervisor.list', {});
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect((await fetch(`${server.url}/`)).status).toBe(401);
    expect((await invoke('hypervisor.list', {}, { Authorization: 'Bearer wrong' })).status).toBe(
      401,
    );
  });

  it('trades the URL token for an HttpOnly cookie that then works', async () => {
    const login = await fetch(server.loginUrl, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await fetch(`${server.url}/`, { headers: { Cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('serves the contract with the bearer token and validates payloads', async () => {
    const auth = { Authorization: `Bearer ${server.token}` };
    expect(await (await invoke('app.info', {}, auth)).json()).toMatchObject({
      ok: true,
      value: { mode: 'serve' },
    });
    expect(await (await invoke('hypervisor.add', '{not json', auth)).json()).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT' },
    });
    expect(
      await (await invoke('hypervisor.add', { name: 'x', type: 'libvirt' }, auth)).json(),
    ).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { field: 'uri' } } });
  });

  it('never serves files outside the renderer folder', async () => {
    const auth = { Authorization: `Bearer ${server.token}` };
    for (const path of ['/../outside.txt', '/%2e%2e/outside.txt', '/..%2foutside.txt', '/%00']) {
      const res = await fetch(`${server.url}${path}`, { headers: auth });
      expect(res.status).toBe(404);
    }
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      const req = request(
        `${server.url}/api/invoke/app.info`,
        {
          method: 'POST',
          headers: { Host: 'evil.example', Authorization: `Bearer ${server.token}` },
        },
        (res) => resolve(res.statusCode!),
      );
      req.end('{}');
    });
    expect(status).toBe(403);
  });

  it('pushes engine events over the WebSocket, and only with the token', async () => {
    const refused = new WebSocket(`${server.url.replace('http', 'ws')}/api/events`);
    await expect(
      new Promise((resolve, reject) => {
        refused.on('open', resolve);
        refused.on('error', reject);
      }),
    ).rejects.toThrow();
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/events`, {
      headers: { Authorization: `Bearer ${server.token}` },
    });
    await new Promise((resolve) => ws.on('open', resolve));
    const message = new Promise<string>((resolve) =>
      ws.once('message', (data) => resolve(data.toString())),
    );
    await invoke(
      'hypervisor.add',
      { name: 'kvm', type: 'libvirt', uri: 'qemu:///system' },
      { Authorization: `Bearer ${server.token}` },
    );
    expect(JSON.parse(await message)).toMatchObject({ event: 'hypervisors.changed' });
    ws.close();
  });
});

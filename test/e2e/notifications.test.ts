import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConsole } from '../harness/browser';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * Settings → Job notifications, as an administrator sets up a chat webhook: a wrong address is
 * refused next to the field, the saved one is never shown in full again (its token is a secret),
 * and "Send test" posts to it and says how it went. Against the real `hyperkeep serve` and a
 * real HTTP server in place of the chat service.
 */
const SECRET = 'T0KEN-e2e-b1f3';
let serve: RunningServe;
let browser: Browser;
let page: Page;
let pageErrors: string[] = [];
let hook: Server;
let hookBase: string;
const posts: { path: string; text: string }[] = [];

const card = () => page.getByRole('form', { name: 'Job notifications' });

beforeAll(async () => {
  hook = createServer((req, res) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', text: (JSON.parse(data) as { text: string }).text });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookBase = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  serve = await startServe();
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/settings`, 'Settings'));
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await new Promise((resolve) => hook?.close(resolve));
});

describe('Job notifications', () => {
  it('refuses an address that is not http(s) next to the field, and asks for one at all', async () => {
    await card().getByLabel('Notify').click();
    await page.getByRole('option', { name: 'When a job fails', exact: true }).click();
    await card().getByRole('button', { name: 'Save' }).click();
    await card().getByText('Enter the webhook address the messages go to').waitFor();
    await card().getByLabel('Webhook address').fill('ftp://files.example.com/drop');
    await card().getByRole('button', { name: 'Save' }).click();
    await card()
      .getByText(/^Enter an http:\/\/ or https:\/\/ address/)
      .waitFor();
    expect(posts).toEqual([]);
  });

  it('saves the webhook, shows only its origin afterwards, and posts a test to it', async () => {
    await card().getByLabel('Webhook address').fill(`${hookBase}/hooks/${SECRET}`);
    await card().getByRole('button', { name: 'Save' }).click();
    await card()
      .getByText(`Saved: ${hookBase}/… (kept encrypted, never shown in full)`, { exact: false })
      .waitFor();
    expect(await card().getByLabel('Webhook address').inputValue()).toBe('');

    await card().getByRole('button', { name: 'Send test' }).click();
    const last = card().getByRole('alert', { name: 'Last notification' });
    await expect
      .poll(async () => (await last.textContent()) ?? '')
      .toMatch(/Last message \(test message\), .*: delivered \(HTTP 204\)/);
    expect(posts).toEqual([
      {
        path: `/hooks/${SECRET}`,
        text: expect.stringMatching(/: test message\. Job notifications will arrive here\./),
      },
    ]);

    // After a reload the choice is there, and the token is nowhere in the page.
    await page.reload();
    await card().getByText(`Saved: ${hookBase}/…`, { exact: false }).waitFor();
    await expect.poll(() => card().getByLabel('Notify').textContent()).toBe('When a job fails');
    expect(await page.content()).not.toContain(SECRET);
  });

  it('removes the webhook, which turns notifications off', async () => {
    await card().getByRole('button', { name: 'Remove webhook' }).click();
    await card().getByText('http:// or https://; kept encrypted by the engine').waitFor();
    expect(await card().getByLabel('Notify').textContent()).toBe('Never');
    expect(await card().getByRole('button', { name: 'Send test' }).isDisabled()).toBe(true);
  });

  it('is set up from the CLI too, with the address from the environment, never shown back', async () => {
    const cli = (args: string[], env: Record<string, string> = {}) =>
      runCli(['--home', serve.home, '--json', 'notify', ...args], env);
    const bad = await cli(['set', '--on', 'sometimes']);
    expect(bad.code).toBe(2);
    const set = await cli(['set', '--on', 'problems'], {
      HYPERKEEP_WEBHOOK_URL: `${hookBase}/cli/${SECRET}`,
    });
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ on: 'problems', webhook: `${hookBase}/…` });
    expect(set.stdout).not.toContain(SECRET);
    const test = await cli(['test']);
    expect(test.code, test.stderr).toBe(0);
    expect(JSON.parse(test.stdout)).toMatchObject({ ok: true, message: 'HTTP 204' });
    expect(posts.at(-1)!.path).toBe(`/cli/${SECRET}`);
    // The console shows what the CLI saved.
    await page.reload();
    await expect
      .poll(() => card().getByLabel('Notify').textContent())
      .toBe('When a job fails or has warnings');
  });

  it('raised no uncaught error in the browser', () => {
    expect(pageErrors).toEqual([]);
  });
});

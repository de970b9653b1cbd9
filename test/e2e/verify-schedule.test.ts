import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConsole } from '../harness/browser';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * Storage → a repository's "Verification schedule…": the engine verifies it by itself, as PBS's
 * verify jobs do. A bad expression is refused next to the field, the next runs show while typing,
 * and what is saved is what the CLI sees (and the other way round). Real `hyperkeep serve`.
 */
let serve: RunningServe;
let browser: Browser;
let page: Page;
let pageErrors: string[] = [];
let scratch: string;

const cli = (...args: string[]) => runCli(['--home', serve.home, '--json', ...args]);
const dialog = () => page.getByRole('dialog', { name: 'Verification schedule of nightly' });
const cronBox = () => dialog().getByRole('textbox', { name: 'Verification schedule' });

async function openDialog(): Promise<void> {
  await page.getByRole('button', { name: 'More actions for nightly' }).click();
  await page.getByRole('menuitem', { name: /^Verification schedule…/ }).click();
  await cronBox().waitFor();
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-verify-sched-'));
  serve = await startServe();
  const init = await cli(
    'repo',
    'init',
    '--name',
    'nightly',
    '--path',
    join(scratch, 'repo'),
    '--no-encrypt',
  );
  expect(init.code, init.stderr).toBe(0);
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/storage`, 'Storage'));
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Verification schedule', () => {
  it('is off at first; a bad expression is refused next to its field', async () => {
    await openDialog();
    expect(await dialog().getByLabel('Verify this repository on a schedule').isChecked()).toBe(
      false,
    );
    await dialog().getByLabel('Verify this repository on a schedule').check();
    await cronBox().fill('every sunday');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialog()
      .getByText(/^Invalid schedule "every sunday"/)
      .first()
      .waitFor();
    expect(await dialog().isVisible()).toBe(true);
  });

  it('saves a weekly schedule with its next runs, which the CLI then shows', async () => {
    await cronBox().fill('30 4 * * 6');
    const runs = dialog().getByRole('region', { name: 'Next runs: Verification schedule' });
    await expect.poll(async () => runs.getByRole('listitem').count()).toBe(3);
    expect(await runs.getByRole('listitem').first().textContent()).toMatch(/Saturday/);
    await dialog().getByLabel('Read all data', { exact: false }).uncheck();
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialog().waitFor({ state: 'detached' });
    await page.getByText(/nightly verifies itself on schedule; next: /).waitFor();

    const shown = await cli('repo', 'verify-schedule', 'nightly');
    expect(shown.code, shown.stderr).toBe(0);
    const schedule = JSON.parse(shown.stdout) as { nextRuns: string[] };
    expect(schedule).toMatchObject({ enabled: true, cron: '30 4 * * 6', readData: false });
    expect(new Date(schedule.nextRuns[0]!).getUTCDay()).toBe(6);
  });

  it('shows in the console what the CLI changed', async () => {
    const off = await cli('repo', 'verify-schedule', 'nightly', '--off');
    expect(off.code, off.stderr).toBe(0);
    expect(JSON.parse(off.stdout)).toMatchObject({ enabled: false, nextRuns: [] });
    await openDialog();
    expect(await dialog().getByLabel('Verify this repository on a schedule').isChecked()).toBe(
      false,
    );
    expect(await cronBox().inputValue()).toBe('30 4 * * 6');
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    expect(pageErrors).toEqual([]);
  });
});

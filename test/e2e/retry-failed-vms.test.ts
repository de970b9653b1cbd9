import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openConsole, saveShot } from '../harness/browser';
import { cliOn, engineCall, isFocused, setUpLabWebSubclient } from '../harness/points-drawer';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * "Retry failed VMs" on the Jobs page and the subclient's Automatic retry settings, against the
 * real `hyperkeep serve` and lab-web-01. The failure is real and passes: subclient "web" has a
 * pre-backup command that refuses the first time it runs and succeeds from then on, so a backup
 * started by hand (never retried on its own) fails, and its retry backs the VM up; a scheduled
 * one retries by itself, its row saying why and when while it waits.
 * HYPERKEEP_E2E_SHOTS=<dir> also saves screenshots there.
 */
const lab = inject('lab');
const FAILED_TITLE = 'Backup of lab-set / web';
const RETRY_TITLE = `Retry of ${FAILED_TITLE}`;

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
let pageErrors: string[] = [];
/** Created by the first run of the pre-backup command: from then on, the command succeeds. */
let refusedOnce: string;

const cli = (...args: string[]) => cliOn(serve.home, ...args);
const shot = (name: string): Promise<void> => saveShot(page, `retry-failed-vms-${name}`);
const grid = (): Locator => page.getByRole('grid', { name: 'Jobs' });
const details = (title: string): Locator =>
  page.getByRole('region', { name: `Job details: ${title}`, exact: true });

function eventually<T>(read: () => Promise<T> | T, timeout = 15_000) {
  return expect.poll(read, { timeout, interval: 200 });
}

/** The grid row of the job titled `title` (exactly), by its title cell. */
function jobRow(title: string): Locator {
  return grid()
    .locator('[role="row"][data-id]')
    .filter({ has: page.locator('[data-field="title"] p').getByText(title, { exact: true }) });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-retry-'));
  refusedOnce = join(scratch, 'refused-once');
  serve = await startServe();
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  const pre = `test -e '${refusedOnce}' || { touch '${refusedOnce}'; echo "first attempt refused" >&2; exit 1; }`;
  await setUpLabWebSubclient(serve.home, join(scratch, 'repository'), host, ['--pre', pre]);
  // Started by hand: the subclient's Automatic retry does not apply, the job ends failed.
  const first = await runCli([
    '--home',
    serve.home,
    'backup',
    '--subclient',
    'web',
    '--backupset',
    'lab-set',
    '--wait',
  ]);
  expect(first.code, `the first backup should fail: ${first.stdout}`).not.toBe(0);
  expect(existsSync(refusedOnce)).toBe(true);
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/jobs`, 'Jobs'));
  await jobRow(FAILED_TITLE).waitFor();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Retry failed VMs', () => {
  it('a failed backup job offers "Retry failed VMs"; from the keyboard it starts a retry that succeeds', async () => {
    await jobRow(FAILED_TITLE).click();
    const failed = details(FAILED_TITLE);
    await failed.getByText('first attempt refused', { exact: false }).first().waitFor();
    const vmRow = failed.getByRole('table', { name: 'Tasks' }).getByRole('row', {
      name: /lab-web-01/,
    });
    expect(await vmRow.innerText()).toMatch(/Failed[\s\S]*first attempt refused/);
    const retry = failed.getByRole('button', { name: 'Retry failed VMs' });
    await retry.waitFor();
    await shot('01-failed-job');

    // Keyboard: one Tab from "View log", Enter starts the retry.
    await failed.getByRole('button', { name: 'View log' }).focus();
    await page.keyboard.press('Tab');
    expect(await isFocused(retry)).toBe(true);
    await page.keyboard.press('Enter');

    // The new job opens in the panel, the keyboard at its heading, and the grid selects it.
    const retried = details(RETRY_TITLE);
    await retried.waitFor();
    await eventually(() => isFocused(retried.getByRole('heading', { name: RETRY_TITLE }))).toBe(
      true,
    );
    await eventually(() => jobRow(RETRY_TITLE).getAttribute('aria-selected')).toBe('true');
    await eventually(() => jobRow(RETRY_TITLE).innerText(), 120_000).toMatch(/Succeeded/);
    await eventually(() =>
      retried
        .getByRole('table', { name: 'Tasks' })
        .getByRole('row', { name: /lab-web-01/ })
        .innerText(),
    ).toMatch(/Succeeded/);
    // Nothing is left to retry in a job that backed up all its VMs.
    expect(await retried.getByRole('button', { name: 'Retry failed VMs' }).count()).toBe(0);
    await shot('02-retry-succeeded');

    // The engine agrees: the retry backed lab-web-01 up, the first job stays failed.
    const jobs = await engineCall(page, 'job.list', {});
    expect(jobs.find((job) => job.title === RETRY_TITLE)?.status).toBe('succeeded');
    expect(jobs.find((job) => job.title === FAILED_TITLE)?.status).toBe('failed');
    const points = await engineCall(page, 'points.list', { vm: 'lab-web-01' });
    expect(points).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });

  it('the subclient’s General tab sets the Automatic retry, in minutes, within its limits', async () => {
    await page.goto(`${serve.url}#/backup-sets`);
    await page.getByRole('heading', { level: 1, name: 'Backup sets' }).waitFor();
    await page.getByRole('button', { name: 'Properties of lab-set' }).click();
    const props = page.getByRole('dialog', { name: 'Backup set properties of lab-set' });
    await props.getByRole('tab', { name: 'Subclients' }).click();
    await props.getByRole('button', { name: 'Properties of web' }).click();
    const web = page.getByRole('dialog', { name: 'Subclient properties of web' });
    const times = web.getByRole('textbox', { name: 'Retry failed VMs (times)' });
    const minutes = web.getByRole('textbox', { name: 'Wait between attempts (minutes)' });
    // The defaults: two retries, five minutes apart.
    expect(await times.inputValue()).toBe('2');
    expect(await minutes.inputValue()).toBe('5');

    await times.fill('11');
    await minutes.fill('');
    await web.getByRole('button', { name: 'Save' }).click();
    await web.getByText('At most 10 retries').waitFor();
    await web.getByText('Enter a whole number').waitFor();
    await shot('03-general-tab-refused');

    await times.fill('3');
    await minutes.fill('10');
    await web.getByRole('button', { name: 'Save' }).click();
    await web.waitFor({ state: 'detached' });
    const sets = await engineCall(page, 'backupSet.list', {});
    const saved = sets
      .find((set) => set.name === 'lab-set')
      ?.subclients.find((subclient) => subclient.name === 'web');
    expect(saved?.settings.retry).toEqual({ attempts: 3, waitSeconds: 600 });

    // Opened again, the tab shows what was saved.
    await props.getByRole('button', { name: 'Properties of web' }).click();
    expect(await times.inputValue()).toBe('3');
    expect(await minutes.inputValue()).toBe('10');
    await shot('04-general-tab-saved');
    expect(pageErrors).toEqual([]);
  });

  it('a scheduled backup retries the VM on its own: the row says why and when, then it succeeds', async () => {
    const refusedAgain = join(scratch, 'refused-again');
    const pre = `test -e '${refusedAgain}' || { touch '${refusedAgain}'; echo "first attempt refused" >&2; exit 1; }`;
    // Fires once, a few seconds from now (cron with seconds, in UTC).
    const at = new Date(Date.now() + 8_000);
    const once = [
      at.getUTCSeconds(),
      at.getUTCMinutes(),
      at.getUTCHours(),
      at.getUTCDate(),
      at.getUTCMonth() + 1,
      '*',
    ].join(' ');
    await cli(
      ...['subclient', 'edit', 'web', '--backupset', 'lab-set', '--pre', pre],
      ...['--retries', '1', '--retry-wait', '20'],
      ...['--schedule', '--full', once, '--incremental', '0 0 1 1 *', '--timezone', 'UTC'],
    );
    await page.goto(`${serve.url}#/jobs`);
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    const title = 'Scheduled full backup of lab-set / web';
    await jobRow(title).waitFor({ timeout: 60_000 });
    await jobRow(title).click();
    const scheduled = details(title);
    const vmRow = scheduled
      .getByRole('table', { name: 'Tasks' })
      .getByRole('row', { name: /lab-web-01/ });
    await eventually(() => vmRow.innerText(), 30_000).toMatch(/Waiting to retry/);
    expect(await vmRow.innerText()).toMatch(
      /Attempt 1 failed: The pre-backup command exited with code 1: first attempt refused — retry 1 of 1 at \d\d:\d\d:\d\d/,
    );
    // Still running: its VM may yet be backed up, there is nothing to retry by hand.
    expect(await scheduled.getByRole('button', { name: 'Retry failed VMs' }).count()).toBe(0);
    await shot('05-scheduled-waiting-to-retry');

    await eventually(() => jobRow(title).innerText(), 90_000).toMatch(/Succeeded/);
    await eventually(() => vmRow.innerText()).toMatch(/Succeeded/);
    await scheduled
      .getByText('lab-web-01: backed up on attempt 2 of 2 (attempt 1:', { exact: false })
      .waitFor();
    expect(await scheduled.getByRole('button', { name: 'Retry failed VMs' }).count()).toBe(0);
    await shot('06-scheduled-retried');
    expect(pageErrors).toEqual([]);
  });
});

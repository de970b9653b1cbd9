import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, saveShot } from '../harness/browser';
import { cliOn, setUpLabWebSubclient } from '../harness/points-drawer';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * The dashboard's "Backup jobs, last 14 days" chart, against the real `hyperkeep serve` and the
 * lab's libvirt host: one bar per local day, today at the right. A backup of lab-web-01 that
 * succeeds and one of subclient "web" whose pre-backup command always refuses, both run while
 * the page is shown, must turn today's bar into "1 succeeded, 1 failed" and leave the 13 days
 * before it empty. HYPERKEEP_E2E_SHOTS=<dir> also saves a screenshot there.
 */
const lab = inject('lab');
const TITLE = 'Backup jobs, last 14 days';

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
const pageErrors: string[] = [];

const cli = (...args: string[]) => cliOn(serve.home, ...args);

/**
 * The browser runs in a zone where it is about noon now: a backup and the look at its bar are
 * then on the same local day, whenever the suite runs, and the machine's zone plays no part.
 */
function noonZone(): string {
  const offset = Math.max(-12, Math.min(14, 12 - new Date().getUTCHours()));
  // Etc/GMT zones count the other way: Etc/GMT-5 is five hours ahead of UTC.
  return offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

const card = (): Locator => page.getByRole('region', { name: TITLE, exact: true });
const chart = (): Locator => card().getByRole('img');
const bars = (): Locator => chart().locator('[data-day]');

async function summary(): Promise<string> {
  return (await chart().getAttribute('aria-label')) ?? '';
}

/** What the tooltip of a day's bar says when the mouse is on it. */
async function tooltipOf(bar: Locator): Promise<string> {
  await page.mouse.move(0, 0);
  await page.getByRole('tooltip').waitFor({ state: 'detached' });
  await bar.hover();
  const tooltip = page.getByRole('tooltip');
  await tooltip.waitFor();
  return (await tooltip.textContent()) ?? '';
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-history-'));
  serve = await startServe();
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  const refuse = 'echo "the application refuses to quiesce" >&2; exit 1';
  await setUpLabWebSubclient(serve.home, join(scratch, 'repository'), host, ['--pre', refuse]);
  browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    timezoneId: noonZone(),
  });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${serve.url}#/dashboard`);
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Backup jobs, last 14 days', () => {
  it('a new console: 14 empty days, today at the right', async () => {
    await expect.poll(summary).toBe('Last 14 days: no backup job');
    expect(await bars().count()).toBe(14);
    expect(await tooltipOf(bars().last())).toMatch(
      /^\w{3}, \w{3} \d{1,2} \(today\): no backup job$/,
    );
    expect(await card().textContent()).toContain('0 backup jobs in all');
  });

  it('a backup that succeeds and one that fails today: today’s bar says so, the days before are empty', async () => {
    await cli('backup', '--vm', 'lab-web-01', '--wait');
    const failed = await runCli([
      '--home',
      serve.home,
      'backup',
      '--subclient',
      'web',
      '--backupset',
      'lab-set',
      '--wait',
    ]);
    expect(failed.code, `the subclient's backup should fail: ${failed.stdout}`).not.toBe(0);

    // Shown live, from the job events: no reload.
    await expect
      .poll(summary, { timeout: 15_000 })
      .toMatch(
        /^Last 14 days: 1 succeeded, 1 failed; failures on \w{3} \d{1,2}; no backup job on \w{3} \d{1,2} to \w{3} \d{1,2}$/,
      );
    expect(await tooltipOf(bars().last())).toMatch(/\(today\): 1 succeeded, 1 failed$/);
    expect(await tooltipOf(bars().first())).toMatch(/: no backup job$/);
    expect(await tooltipOf(bars().nth(12))).toMatch(/: no backup job$/);
    const legend = (await card().textContent()) ?? '';
    expect(legend).toMatch(/Succeeded\s*1/);
    expect(legend).toMatch(/Failed\s*1/);
    expect(legend).toContain('2 backup jobs in all');
    await page.mouse.move(0, 0);
    await page.getByRole('tooltip').waitFor({ state: 'detached' });
    await saveShot(page, 'backup-history-01-today');

    await card().getByRole('button', { name: 'Open Jobs' }).click();
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});

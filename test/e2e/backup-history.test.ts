import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, saveShot } from '../harness/browser';
import { cliOn, isFocused, setUpLabWebSubclient } from '../harness/points-drawer';
import { jobsPage } from '../harness/jobs-page';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * The dashboard's "Backup jobs, last 14 days" chart, against the real `hyperkeep serve` and the
 * lab's libvirt host: one bar per local day, today at the right. A backup of lab-web-01 that
 * succeeds and one of subclient "web" whose pre-backup command always refuses, both run while
 * the page is shown, must turn today's bar into "1 succeeded, 1 failed" and leave the 13 days
 * before it empty. By keyboard alone the bars are one Tab stop, the arrows move between days,
 * and Enter on a bar opens the Jobs page on that day's backup jobs (not a verify of the same
 * day). HYPERKEEP_E2E_SHOTS=<dir> also saves a screenshot there.
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
/** The bars, a toolbar named by the card's title and described by the chart's summary. */
const chart = (): Locator => card().getByRole('toolbar', { name: TITLE, exact: true });
const bars = (): Locator => chart().getByRole('button');

/** The chart said in words: its toolbar's description. */
async function summary(): Promise<string> {
  return chart().evaluate((el) => {
    const ids = el.getAttribute('aria-describedby')?.split(' ') ?? [];
    return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
  });
}

/** The accessible name of the focused element, if it is a bar of the chart. */
async function focusedBarName(): Promise<string | null> {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el?.closest('[role="toolbar"]') && el.tagName === 'BUTTON'
      ? el.getAttribute('aria-label')
      : null;
  });
}

/** "Nov 20" of a bar's name "Fri, Nov 20 (today): …". */
const dayOfName = (name: string): string => /^\w{3}, (\w{3} \d{1,2})/.exec(name)?.[1] ?? '?';

const filterBar = (): Locator => page.getByRole('search', { name: 'Filter jobs' });
const { grid, countText, shownTitles } = jobsPage(() => page);

/** Back on the dashboard, its chart read, and the keyboard focus at the page's top. */
async function openDashboard(): Promise<void> {
  await page.goto(`${serve.url}#/dashboard`);
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  await expect.poll(summary, { timeout: 15_000 }).toMatch(/^Last 14 days: 1 succeeded, 1 failed/);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
}

/** Presses Tab from the page's top until a bar of the chart has the focus; its name. */
async function tabToChart(): Promise<string> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const name = await focusedBarName();
    if (name !== null) return name;
  }
  throw new Error('Tab never reached the chart');
}

/** The text of the one tooltip shown (a focused bar's), once the last bar's has faded out. */
async function shownTooltip(): Promise<string> {
  const tooltip = page.getByRole('tooltip');
  await expect.poll(() => tooltip.count(), { timeout: 5_000 }).toBe(1);
  return (await tooltip.textContent()) ?? '';
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

  it('by keyboard: one Tab stop on today’s bar, named with its counts; the arrows move by day', async () => {
    // A job of today that is not a backup: the bars open backup jobs only.
    await cli('verify');
    await openDashboard();

    const today = await tabToChart();
    expect(today).toMatch(/^\w{3}, \w{3} \d{1,2} \(today\): 1 succeeded, 1 failed$/);
    const todayBar = chart().getByRole('button', { name: today, exact: true });
    expect(await isFocused(todayBar)).toBe(true);
    expect(await todayBar.getAttribute('data-day')).toBe('today');
    // Its tooltip shows on focus too, and the focus is outlined.
    expect(await shownTooltip()).toBe(today);
    expect(await todayBar.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe('none');

    await page.keyboard.press('ArrowLeft');
    const yesterday = (await focusedBarName()) ?? '';
    expect(yesterday).toMatch(/^\w{3}, \w{3} \d{1,2}: no backup job$/);
    expect(await isFocused(bars().nth(12))).toBe(true);
    expect(await shownTooltip()).toBe(yesterday);
    await saveShot(page, 'backup-history-02-keyboard');
    await page.keyboard.press('ArrowRight');
    expect(await focusedBarName()).toBe(today);
    await page.keyboard.press('ArrowRight');
    expect(await focusedBarName(), 'today is the last day').toBe(today);
    await page.keyboard.press('Home');
    expect(await isFocused(bars().first())).toBe(true);
    await page.keyboard.press('End');
    expect(await focusedBarName()).toBe(today);

    // The whole chart is one Tab stop: the next Tab leaves it.
    await page.keyboard.press('Tab');
    expect(await focusedBarName()).toBeNull();
  });

  it('Enter on today’s bar opens the Jobs page on today’s backup jobs; clearing the day shows every day', async () => {
    await openDashboard();
    const today = await tabToChart();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();

    const chip = filterBar().getByText(/^Day: /);
    expect(await chip.textContent()).toBe(`Day: ${dayOfName(today)}`);
    expect(await filterBar().getByRole('combobox', { name: /^Kind/ }).textContent()).toBe('Backup');
    await expect.poll(countText).toBe('2 of 3 jobs');
    const backups = await shownTitles();
    expect(backups).toHaveLength(2);
    expect(backups.every((title) => title.startsWith('Backup of'))).toBe(true);
    expect(backups.join()).not.toMatch(/Verify/);
    await saveShot(page, 'backup-history-03-jobs-of-today');

    // The chip's own button clears the day, and the keyboard stays in the filters.
    await filterBar().getByRole('button', { name: 'Clear day filter' }).focus();
    await page.keyboard.press('Enter');
    await chip.waitFor({ state: 'detached' });
    expect(await isFocused(filterBar())).toBe(true);
    await expect.poll(countText).toBe('2 of 3 jobs');
    // The kind the bar set stays, as the Kind field shows; "Clear filters" shows every job.
    await filterBar().getByRole('button', { name: 'Clear filters' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(countText).toBe('3 jobs');
    expect((await shownTitles()).some((title) => title.startsWith('Verify'))).toBe(true);
  });

  it('Enter on yesterday’s bar lists no job; clearing the day shows today’s backups again', async () => {
    await openDashboard();
    await tabToChart();
    await page.keyboard.press('ArrowLeft');
    const yesterday = (await focusedBarName()) ?? '';
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();

    expect(
      await filterBar()
        .getByText(/^Day: /)
        .textContent(),
    ).toBe(`Day: ${dayOfName(yesterday)}`);
    await expect.poll(countText).toBe('0 of 3 jobs');
    expect(await grid().textContent()).toContain('No job matches the filters');

    await filterBar().getByRole('button', { name: 'Clear day filter' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(countText).toBe('2 of 3 jobs');
    expect(await shownTitles()).toHaveLength(2);
    expect(pageErrors).toEqual([]);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Job, RestorePoint } from '../../shared/domain/jobs';
import { openConsole, saveShot } from '../harness/browser';
import { cliOn, engineCall, isFocused } from '../harness/points-drawer';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * Finding a job on the Jobs page (usability review): status, kind and text filters above the
 * grid, from the keyboard, with "N of M jobs" while they hide some, kept while new jobs stream
 * in; and long titles shown whole. Jobs of every sort made by the CLI on the real
 * `hyperkeep serve`: a backup of lab-web-01, a verify that succeeds and one that fails (its
 * repository folder emptied), a dry-run deletion of the backup's point and a dry-run prune.
 */
const lab = inject('lab');

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
let pageErrors: string[] = [];
let point: RestorePoint;

const cli = (...args: string[]) => cliOn(serve.home, ...args);
const shot = (name: string): Promise<void> => saveShot(page, `jobs-filters-${name}`);
const grid = (): Locator => page.getByRole('grid', { name: 'Jobs' });
const statusSelect = (): Locator => page.getByRole('combobox', { name: /^Status/ });
const kindSelect = (): Locator => page.getByRole('combobox', { name: /^Kind/ });
const textFilter = (): Locator => page.getByRole('searchbox', { name: 'Filter by job or VM name' });
const countText = (): Promise<string> =>
  page
    .getByRole('status')
    .filter({ hasText: / jobs?$/ })
    .textContent()
    .then((text) => text ?? '');

/** The titles of the grid's rows, top to bottom. */
async function shownTitles(): Promise<string[]> {
  const rows = grid().locator('[role="row"][data-id]');
  const titles = await rows.evaluateAll((els) =>
    els.map((el) => el.querySelector('[data-field="title"] p')?.textContent ?? ''),
  );
  return titles.sort();
}

/** Picks `option` of a select from the keyboard: Enter opens it, Home and the arrows move. */
async function chooseWithKeyboard(select: Locator, option: RegExp): Promise<void> {
  await select.focus();
  await page.keyboard.press('Enter');
  const listbox = page.getByRole('listbox');
  const wanted = listbox.getByRole('option', { name: option });
  await wanted.waitFor();
  await page.keyboard.press('Home');
  for (let i = 0; i < 10 && !(await isFocused(wanted)); i++) await page.keyboard.press('ArrowDown');
  expect(await isFocused(wanted), `${String(option)} reached with the arrow keys`).toBe(true);
  await page.keyboard.press('Enter');
  await listbox.waitFor({ state: 'detached' });
}

const deleteTitle = (): string =>
  `Dry run: delete restore point ${new Date(point.time).toLocaleString('en-US')} of lab-web-01 from default`;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-jobs-filters-'));
  serve = await startServe();
  await cli('repo', 'init', '--path', join(scratch, 'repository'), '--no-encrypt');
  await cli('repo', 'init', '--name', 'gone', '--path', join(scratch, 'gone'), '--no-encrypt');
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  await cli('hypervisor', 'add', '--name', host.name, '--uri', host.uri);
  await cli('backup', '--vm', 'lab-web-01', '--full', '--wait');
  await cli('verify');
  // A repository whose folder went away: its verify fails.
  rmSync(join(scratch, 'gone'), { recursive: true, force: true });
  const failed = await runCli(['--home', serve.home, 'verify', '--repository', 'gone']);
  expect(failed.code, failed.stderr).toBe(1);
  [point] = JSON.parse(await cli('--json', 'points', '--vm', 'lab-web-01')) as [RestorePoint];
  await cli('points', 'delete', point.id, '--dry-run');
  await cli('prune', '--dry-run');
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/jobs`, 'Jobs'));
  // The console writes times as en-US in the machine's zone, as this process does.
  await grid().locator('[role="row"][data-id]').first().waitFor();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Jobs page filters', () => {
  it('the status filter follows the page actions in the tab order and shows the failed verify', async () => {
    const jobs: Job[] = await engineCall(page, 'job.list', {});
    expect(jobs).toHaveLength(5);
    await expect.poll(countText).toBe('5 jobs');

    await page.getByRole('button', { name: 'Refresh' }).focus();
    await page.keyboard.press('Tab');
    expect(await isFocused(statusSelect())).toBe(true);
    await chooseWithKeyboard(statusSelect(), /^Failed \(1\)\s*and partially succeeded$/);

    await expect.poll(shownTitles).toEqual(['Verify gone']);
    expect(await countText()).toBe('1 of 5 jobs');
    await shot('01-failed');

    await chooseWithKeyboard(statusSelect(), /^Succeeded \(4\)\s*with or without warnings$/);
    await expect.poll(shownTitles).toHaveLength(4);
    expect(await shownTitles()).not.toContain('Verify gone');
    expect(await countText()).toBe('4 of 5 jobs');
  });

  it('kind and text narrow further; a job title or a VM name finds its jobs', async () => {
    await chooseWithKeyboard(statusSelect(), /^All \(5\)$/);
    // Deleting chosen points is a kind of its own, apart from retention's prune.
    await chooseWithKeyboard(kindSelect(), /^Prune$/);
    await expect.poll(shownTitles).toEqual(['Prune default (dry run)']);
    await chooseWithKeyboard(kindSelect(), /^Delete points$/);
    await expect.poll(shownTitles).toEqual([deleteTitle()]);
    expect(await countText()).toBe('1 of 5 jobs');

    await textFilter().focus();
    await page.keyboard.type('LAB-WEB-01');
    await expect.poll(shownTitles).toEqual([deleteTitle()]);
    expect(await countText()).toBe('1 of 5 jobs');

    await chooseWithKeyboard(kindSelect(), /^All kinds$/);
    await expect.poll(shownTitles).toEqual(['Backup of lab-web-01', deleteTitle()].sort());
    expect(await countText()).toBe('2 of 5 jobs');
    await shot('02-vm-name');
  });

  it('the filters stay while new jobs arrive live, and "Clear filters" shows every job', async () => {
    await textFilter().fill('');
    await chooseWithKeyboard(kindSelect(), /^Verify$/);
    await expect.poll(shownTitles).toEqual(['Verify default', 'Verify gone']);
    await cli('prune', '--dry-run');
    await cli('verify');
    await expect.poll(countText).toBe('3 of 7 jobs');
    expect(await shownTitles()).toEqual(['Verify default', 'Verify default', 'Verify gone']);
    expect(await kindSelect().textContent()).toBe('Verify');

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(countText).toBe('7 jobs');
    expect(await shownTitles()).toHaveLength(7);
  });

  it('a long title is shown whole, wrapped, not cut short', async () => {
    const title = grid()
      .locator('[data-field="title"] p')
      .filter({ hasText: /^Dry run: delete restore point/ });
    expect(await title.textContent()).toBe(deleteTitle());
    const cut = await title.evaluate(
      (el) => el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight,
    );
    expect(cut, 'the title overflows its cell').toBe(false);
    await shot('03-long-title');
    expect(pageErrors).toEqual([]);
  });
});

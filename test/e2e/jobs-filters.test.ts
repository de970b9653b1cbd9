import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Job, RestorePoint } from '../../shared/domain/jobs';
import { openConsole, saveShot } from '../harness/browser';
import { cliOn, engineCall, isFocused } from '../harness/points-drawer';
import { jobsPage } from '../harness/jobs-page';
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
const statusSelect = (): Locator => page.getByRole('combobox', { name: /^Status/ });
const kindSelect = (): Locator => page.getByRole('combobox', { name: /^Kind/ });
const textFilter = (): Locator => page.getByRole('searchbox', { name: 'Filter by job or VM name' });
const { grid, countText, shownTitles } = jobsPage(() => page);

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

/** The rows of an RFC 4180 document: quoted fields may hold commas, doubled quotes, line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      rows.push([...row, field]);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  return rows;
}

/** Clicks Export CSV and reads the file the browser saved: its name, its rows and its text. */
async function exportCsv(): Promise<{ name: string; rows: string[][]; text: string }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  const text = readFileSync(await download.path(), 'utf8');
  // The byte order mark Excel needs to read UTF-8 is not part of the first header.
  expect(text.startsWith('\uFEFFJob ID,')).toBe(true);
  return { name: download.suggestedFilename(), rows: parseCsv(text.slice(1)), text };
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

    // Export CSV is the last of the page's actions.
    await page.getByRole('button', { name: 'Export CSV' }).focus();
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

describe('Jobs page export', () => {
  it('Export CSV saves the jobs the filters show, a title with a comma and quotes intact', async () => {
    // A repository named with a comma and quotes: its verify's title must survive the CSV.
    const odd = 'off-site, "B"';
    await cli('repo', 'init', '--name', odd, '--path', join(scratch, 'off-site'), '--no-encrypt');
    await cli('verify', '--repository', odd);
    await expect.poll(countText).toBe('8 jobs');
    await chooseWithKeyboard(kindSelect(), /^Verify$/);
    await expect.poll(countText).toBe('4 of 8 jobs');
    await page.getByRole('button', { name: 'Export CSV' }).hover();
    await expect
      .poll(() => page.getByRole('tooltip').textContent())
      .toBe('Exports the 4 jobs shown as a CSV file');

    const { name, rows, text } = await exportCsv();
    const now = new Date();
    const day = [now.getFullYear(), now.getMonth() + 1, now.getDate()]
      .map((n) => String(n).padStart(2, '0'))
      .join('-');
    expect(name).toBe(`hyperkeep-jobs-${day}.csv`);
    const [header, ...jobRows] = rows;
    expect(header).toEqual([
      'Job ID',
      'Kind',
      'Title',
      'Status',
      'Created',
      'Started',
      'Finished',
      'Duration (seconds)',
      'VMs',
      'Failed VMs',
      'Data read (bytes)',
      'New data stored (bytes)',
      'Warnings',
      'Error message',
    ]);
    const jobs: Job[] = await engineCall(page, 'job.list', {});
    const verifies = jobs.filter((job) => job.kind === 'verify');
    expect(verifies).toHaveLength(4);
    expect(jobRows.map((row) => row[0]).sort()).toEqual(verifies.map((job) => job.id).sort());
    const oddJob = verifies.find((job) => job.title === `Verify ${odd}`)!;
    const oddRow = jobRows.find((row) => row[0] === oddJob.id)!;
    expect(oddRow.slice(1, 5)).toEqual(['Verify', `Verify ${odd}`, 'Succeeded', oddJob.createdAt]);
    expect(text).toContain(`,"Verify off-site, ""B""",`);
    const gone = jobRows.find((row) => row[2] === 'Verify gone')!;
    expect(gone[3]).toBe('Failed');
    expect(gone[13]).not.toBe('');
    await shot('04-export');
  });

  it("a backup's row has its VM and sizes; with no job shown there is nothing to export", async () => {
    await chooseWithKeyboard(kindSelect(), /^All kinds$/);
    await textFilter().fill('lab-web-01');
    await expect.poll(countText).toBe('2 of 8 jobs');
    const { rows } = await exportCsv();
    const jobs: Job[] = await engineCall(page, 'job.list', {});
    const backup = jobs.find((job) => job.kind === 'backup')!;
    const deletion = jobs.find((job) => job.kind === 'delete')!;
    const jobRows = rows.slice(1);
    expect(jobRows.map((row) => row[0]).sort()).toEqual([backup.id, deletion.id].sort());
    const backupRow = jobRows.find((row) => row[0] === backup.id)!;
    const { readBytes } = backup.result as { readBytes: number };
    expect(readBytes).toBeGreaterThan(0);
    expect(backupRow[6]).toBe(backup.finishedAt);
    expect(Number(backupRow[7])).toBeGreaterThanOrEqual(0);
    expect(backupRow.slice(8, 11)).toEqual(['lab-web-01', '', String(readBytes)]);
    expect(Number(backupRow[11])).toBeGreaterThan(0);
    // The engine's title, its time in ISO 8601 like the other columns, not the page's local one.
    const deletionRow = jobRows.find((row) => row[0] === deletion.id)!;
    expect(deletionRow[2]).toBe(deletion.title);

    await textFilter().fill('no such job');
    await expect.poll(countText).toBe('0 of 8 jobs');
    expect(await page.getByRole('button', { name: 'Export CSV' }).isDisabled()).toBe(true);
    await textFilter().fill('');
    expect(pageErrors).toEqual([]);
  });
});

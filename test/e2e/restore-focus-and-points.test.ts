import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RestorePoint } from '../../shared/domain/jobs';
import { launchChromium, newZonedPage, navigateTo, saveShot } from '../harness/browser';
import { cliOn, engineCall, isFocused, pointsDrawer } from '../harness/points-drawer';
import { startServe, type RunningServe } from '../harness/serve';

/**
 * Third UI review, the VM drawer's points and the Restore page, against the real `hyperkeep
 * serve`, two real points of lab-web-01 and Chromium at 1400×900: compact point rows that fit
 * the drawer and say plainly what a point added (P7), "Compare…" for two ticked points (P14), a
 * header that names the point shown (M8), a file's first version not called a change (M9), the
 * keyboard focus kept on the page after the three actions that dropped it (P1), the storage
 * chart's truthful title (M10) and the Manage points dialog once its points are gone (M11).
 */
const lab = inject('lab');
const VM = 'lab-web-01';
const ZONE = 'Europe/Paris';
const FINAL_STATUS = /Succeeded|Partially succeeded|Failed|Cancelled/;
const CHART_TITLE = 'Data of the current restore points, by when they were taken';

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
/** lab-web-01's points, newest first. */
let points: RestorePoint[] = [];
const pageErrors: string[] = [];

const shot = (name: string): Promise<void> => saveShot(page, `review3-${name}`);
const { localTime, drawer, pointsTable, pointRows } = pointsDrawer(() => page, VM, ZONE);
const cli = (...args: string[]) => cliOn(serve.home, ...args);

/** How the Restore page (en-US, Paris) prints a point's time. */
const shownTime = (iso: string): string =>
  new Date(iso).toLocaleString('en-US', {
    dateStyle: 'short',
    timeStyle: 'medium',
    timeZone: ZONE,
  });

/** The row of a grid whose Name cell is exactly `name`. */
function rowNamed(grid: Locator, name: string): Locator {
  return grid.getByRole('row').filter({ has: page.getByRole('gridcell', { name, exact: true }) });
}

async function openDrawer(): Promise<void> {
  await navigateTo(page, 'Virtual machines');
  await page
    .getByRole('grid', { name: 'Virtual machines' })
    .getByRole('row', { name: new RegExp(VM) })
    .click();
  await pointRows().nth(1).waitFor();
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-review3-'));
  serve = await startServe();
  await cli('repo', 'init', '--path', join(scratch, 'repository'), '--no-encrypt');
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  await cli('hypervisor', 'add', '--name', host.name, '--uri', host.uri);
  await cli('backup', '--vm', VM, '--full', '--wait');
  // Points a second apart at least: their times must differ where they are shown.
  await new Promise((r) => setTimeout(r, 1100));
  await cli('backup', '--vm', VM, '--wait');
  browser = await launchChromium();
  page = await newZonedPage(browser, ZONE, { width: 1400, height: 900 }, pageErrors);
  await page.goto(`${serve.url}#/vms`);
  await page.getByRole('heading', { level: 1, name: 'Virtual machines' }).waitFor();
  points = await engineCall(page, 'points.list', { vm: VM });
  expect(points).toHaveLength(2);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('VM drawer restore points', () => {
  it('rows are two lines at most, fit the drawer, and say what a point added (P7)', async () => {
    await openDrawer();
    const table = pointsTable();
    const sideways = await table.evaluate((el) => {
      const scroller = el.parentElement!;
      return scroller.scrollWidth - scroller.clientWidth;
    });
    expect(sideways).toBe(0);
    for (const row of await pointRows().all()) {
      // A chip and one caption line: four lines were ~100 px.
      expect((await row.boundingBox())!.height).toBeLessThanOrEqual(64);
    }
    const text = (await table.textContent()) ?? '';
    expect(text).not.toContain('— shared');
    expect(text).toMatch(/\d[\d.]* [KMGT]?i?B new/);
    await drawer().getByText('Every point restores on its own, incrementals included.').waitFor();
    await shot('01-drawer-points');
  });

  it('two ticked points open the Compare dialog on those two (P14)', async () => {
    const compare = drawer().getByRole('button', { name: 'Compare…' });
    expect(await compare.isDisabled()).toBe(true);
    const [newer, older] = points as [RestorePoint, RestorePoint];
    await drawer()
      .getByRole('checkbox', { name: `Select the point of ${localTime(older.time)}` })
      .check();
    expect(await compare.isDisabled()).toBe(true);
    await drawer()
      .getByRole('checkbox', { name: `Select the point of ${localTime(newer.time)}` })
      .check();
    await compare.click();
    const dialog = page.getByRole('dialog', { name: 'Compare restore points' });
    await dialog
      .getByText(`From ${shownTime(older.time)} to ${shownTime(newer.time)}`, { exact: true })
      .waitFor();
    await dialog.getByRole('tab', { name: /^Added \(\d+\)$/ }).waitFor();
    await shot('02-compare');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
  });
});

describe('Restore page', () => {
  it('opened on the older point, the header names that point, not "latest data" (M8)', async () => {
    const older = points[1]!;
    await drawer()
      .getByRole('button', { name: `Browse the files of the point of ${localTime(older.time)}` })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Restore' }).waitFor();
    await page
      .getByText(`Individual files/folders · data of ${shownTime(older.time)}`, { exact: true })
      .waitFor();
    expect(await page.getByText('latest data').count()).toBe(0);
  });

  it('names each file checkbox, and the oldest version is the first, not a change (P1, M9)', async () => {
    const tree = page.getByRole('tree');
    await tree.getByRole('treeitem', { name: /^vda\d+ \(ext4 · “web-root” · \// }).click();
    const files = page.getByRole('grid', { name: 'Files' });
    await rowNamed(files, 'home').dblclick();
    await rowNamed(files, 'alice').dblclick();
    await page.getByText(/^Folder: lab-web-01\/vda\d+\/home\/alice$/).waitFor();
    await files.getByRole('checkbox', { name: 'Select notes.txt' }).check();
    await files.getByRole('checkbox', { name: 'Unselect notes.txt' }).waitFor();

    await page.getByRole('button', { name: 'Versions' }).click();
    const versions = page.getByRole('region', { name: 'Versions of notes.txt' });
    const items = versions.getByRole('listitem');
    await expect.poll(() => items.count()).toBe(2);
    // The same file in both points: nothing changed, and its first appearance is no change.
    expect(await items.nth(1).textContent()).toContain('First version');
    expect(await versions.textContent()).not.toContain('Changed');
    await shot('03-versions');
    await versions.getByRole('button', { name: 'Close versions' }).click();
  });

  it('after Restore in the file dialog, the focus is on the restore started (P1 b)', async () => {
    await page.getByRole('button', { name: 'Restore…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore options for all selected items' });
    await dialog.getByLabel('Destination folder').fill(join(scratch, 'restored'));
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await dialog.waitFor({ state: 'detached' });
    const status = page.getByLabel('Restores started here').getByRole('status').first();
    await expect.poll(() => isFocused(status)).toBe(true);
    await expect
      .poll(async () => (await status.textContent()) ?? '', { timeout: 60_000 })
      .toMatch(FINAL_STATUS);
    expect(await status.textContent()).toContain('Succeeded');
  });

  it('"All VMs" and Browse options → OK leave the focus on a heading, not <body> (P1 a, c)', async () => {
    await page.getByRole('button', { name: 'All VMs' }).click();
    const list = page.getByRole('heading', { name: 'Virtual machines with restore points' });
    await expect.poll(() => isFocused(list)).toBe(true);

    await page.getByRole('button', { name: `Restore from ${VM}` }).click();
    const options = page.getByRole('dialog', { name: `Browse options for ${VM}` });
    await options.getByRole('button', { name: 'OK' }).click();
    await options.waitFor({ state: 'detached' });
    const heading = page.getByRole('heading', { level: 2, name: VM, exact: true });
    await expect.poll(() => isFocused(heading)).toBe(true);
    // The newest point is shown now: that one is the latest data.
    await page.getByText('Individual files/folders · latest data', { exact: true }).waitFor();
    // The next Tab goes on from the heading, into the page.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain(
      'Browse options…',
    );
  });
});

describe('Storage', () => {
  it('the chart says it shows the current points, not the repository over time (M10)', async () => {
    await navigateTo(page, 'Storage');
    const figure = page.getByRole('figure', { name: CHART_TITLE });
    await figure.getByText(/^Each step is a restore point that still exists/).waitFor();
    const summary = await figure
      .getByRole('img', { name: /^Current restore points of default: / })
      .getAttribute('aria-label');
    expect(summary).toMatch(/^Current restore points of default: 2 restore points taken from /);
  });

  it('Manage points, once every point is gone, says so without a missing button (M11)', async () => {
    await page.getByRole('button', { name: `Manage points of ${VM}…` }).click();
    const dialog = page.getByRole('dialog', { name: `Restore points of ${VM}` });
    await dialog.getByRole('table', { name: `Restore points of ${VM}` }).waitFor();
    await cli('points', 'delete', '--vm', VM, '--all');
    await dialog
      .getByText(`${VM} has no restore point in the repositories of this console.`)
      .waitFor({ timeout: 60_000 });
    expect(await dialog.textContent()).not.toContain('Back up now');
    await shot('04-manage-empty');
    expect(pageErrors).toEqual([]);
  });
});

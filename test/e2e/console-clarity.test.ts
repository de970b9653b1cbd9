import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RestorePoint } from '../../shared/domain/jobs';
import { navigateTo, openConsole } from '../harness/browser';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * What the console says about points, space and schedules, read the way an administrator reads
 * it (second UI review M1, M4, M5, M7, M8, P13, P14, P16): two points of lab-web-01 a few
 * seconds apart, the real `hyperkeep serve`, Chromium at 1400×900 in UTC.
 */
const lab = inject('lab');

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
let pageErrors: string[] = [];
let older: RestorePoint;
let newer: RestorePoint;

async function cli(...args: string[]): Promise<string> {
  const result = await runCli(['--home', serve.home, ...args]);
  expect(result.code, `hyperkeep ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** A fresh load of a page: what one test leaves open does not get in the way of the next. */
async function openPage(name: string): Promise<void> {
  await page.reload();
  await navigateTo(page, name);
}

/** How the console (en-US, the machine's time zone) prints a point's time. */
function shownTime(iso: string): string {
  return new Date(iso).toLocaleString('en-US', { dateStyle: 'short', timeStyle: 'medium' });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-clarity-'));
  serve = await startServe();
  await cli('repo', 'init', '--path', join(scratch, 'repository'), '--no-encrypt');
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  await cli('hypervisor', 'add', '--name', host.name, '--uri', host.uri);
  await cli('backup', '--vm', 'lab-web-01', '--full', '--wait');
  // Points typed to the second must stay apart: keep a whole second between them.
  await new Promise((r) => setTimeout(r, 2000));
  await cli('backup', '--vm', 'lab-web-01', '--wait');
  const points = JSON.parse(await cli('--json', 'points', '--vm', 'lab-web-01')) as RestorePoint[];
  expect(points).toHaveLength(2);
  [newer, older] = [...points].sort((a, b) => Date.parse(b.time) - Date.parse(a.time)) as [
    RestorePoint,
    RestorePoint,
  ];
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/storage`, 'Storage'));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('What the console says', () => {
  it('Storage: the chart and the table name the same protected data, and the actions fit', async () => {
    const table = page.getByRole('table', { name: 'Repositories' });
    await table.getByRole('columnheader', { name: 'Protected data' }).waitFor();
    const cells = table.getByRole('row', { name: /^default\b/ }).getByRole('cell');
    const protectedData = (await cells.nth(4).textContent())!;
    // The chart's last level is the table's figure, not the sum of the provisioned disk sizes.
    const growth = page
      .getByRole('figure', { name: 'Data of the current restore points, by when they were taken' })
      .getByRole('img', { name: /^Current restore points of default: / });
    expect(await growth.getAttribute('aria-label')).toContain(
      `together they protect ${protectedData} and store`,
    );

    // The Actions column is in the window, with no sideways scrolling (review P13).
    const container = page.locator('.MuiTableContainer-root').filter({ has: table });
    expect(await container.evaluate((el) => el.scrollWidth - el.clientWidth)).toBe(0);
    const prune = (await page.getByRole('button', { name: 'Prune default' }).boundingBox())!;
    expect(prune.x + prune.width).toBeLessThanOrEqual(1400);

    // Dark theme: every legend swatch stands out from its card (review P16).
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    try {
      const contrasts = await page.evaluate(() => {
        const rgb = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
        const luminance = ([r = 0, g = 0, b = 0]: number[]) => {
          const lin = (c: number) => {
            const v = c / 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
          };
          return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
        };
        const over = (top: number[], back: number[]) => {
          const a = top[3] ?? 1;
          return [0, 1, 2].map((i) => (top[i] ?? 0) * a + (back[i] ?? 0) * (1 - a));
        };
        return [...document.querySelectorAll('figure')].flatMap((figure) => {
          const back = rgb(getComputedStyle(figure).backgroundColor);
          const swatches = [...figure.querySelectorAll<HTMLElement>('[aria-hidden] > * > div')];
          return swatches.map((swatch) => {
            const style = getComputedStyle(swatch);
            const edge = parseFloat(style.borderTopWidth) > 0 ? style.borderTopColor : '';
            const seen = over(rgb(edge || style.backgroundColor), back);
            const [l1, l2] = [luminance(seen), luminance(back)].sort((a, b) => b - a);
            return (l1! + 0.05) / (l2! + 0.05);
          });
        });
      });
      expect(contrasts.length).toBeGreaterThanOrEqual(5);
      for (const contrast of contrasts) expect(contrast).toBeGreaterThanOrEqual(3);
    } finally {
      await page.getByRole('button', { name: 'Switch to light theme' }).click();
    }
  });

  it('VM drawer: an incremental point says it restores on its own, never "0 B stored"', async () => {
    await openPage('Virtual machines');
    await page
      .getByRole('grid', { name: 'Virtual machines' })
      .getByRole('row', { name: /lab-web-01/ })
      .click();
    const drawer = page.getByRole('region', { name: 'Details of lab-web-01' });
    const points = drawer.getByRole('table', { name: 'Restore points of lab-web-01' });
    const incremental = points.getByRole('row').filter({ hasText: 'Incremental' });
    await incremental.waitFor();
    // Said once above the table, not on a line of every row (review P7).
    await drawer.getByText('Every point restores on its own, incrementals included.').waitFor();
    expect(await points.textContent()).not.toContain('0 B stored');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  });

  it('Browse options: the second a point was taken picks that point', async () => {
    await openPage('Restore');
    await page.getByRole('button', { name: 'Restore from lab-web-01' }).click();
    const options = page.getByRole('dialog', { name: 'Browse options for lab-web-01' });
    await options.getByLabel('Specify browse time').check();
    // The older point's own second, as typed: its milliseconds are past that second's start.
    const moment = new Date(older.time).toISOString();
    await options.getByLabel('Browse data before (date)').fill(moment.slice(0, 10));
    await options.getByLabel('Time', { exact: true }).fill(moment.slice(11, 19));
    await options.getByRole('combobox', { name: 'Time zone' }).fill('UTC');
    await page.getByRole('option', { name: '(GMT+00:00) UTC', exact: true }).click();
    await options.getByText(`Browses the point of ${shownTime(older.time)}`).waitFor();
    await options.getByRole('button', { name: 'OK' }).click();
    await options.waitFor({ state: 'detached' });
    await page
      .getByRole('combobox', { name: 'Restore point' })
      .getByText(shownTime(older.time))
      .waitFor();
  });

  it('File search: by default no answer comes from a point newer than the one browsed', async () => {
    const search = page.getByRole('search');
    const scope = search.getByRole('combobox', { name: 'Search in' });
    const results = page.getByRole('grid', { name: 'Search results' });
    const pointTimes = async () =>
      results.locator('[role="gridcell"][data-field="point"]').allTextContents();

    await scope.click();
    await page.getByRole('option', { name: 'This and older points' }).click();
    await search.getByLabel('Search file names').fill('report.txt');
    await search.getByLabel('Search file names').press('Enter');
    await page.getByText('Search results for “*report.txt*” in this and older points').waitFor();
    // report.txt did not change: one hit, from the newest point in scope.
    await expect.poll(pointTimes).toEqual([shownTime(older.time)]);

    await scope.click();
    await page.getByRole('option', { name: 'All points, newer too' }).click();
    await page.getByText('Search results for “*report.txt*” in every point').waitFor();
    await expect.poll(pointTimes).toEqual([shownTime(newer.time)]);
  });

  it('Backup sets: the Schedule column shows the sooner incremental as well as the full', async () => {
    const hour = (new Date().getUTCHours() + 2) % 24;
    await cli('backupset', 'create', 'nightly', '--hypervisor', 'lab-host-1');
    await cli(
      ...['subclient', 'create', 'rare', '--backupset', 'nightly', '--rule', 'name~^no-such-vm$'],
      ...['--schedule', '--full', '0 1 1 1 *', '--incremental', `0 ${hour} * * *`],
      ...['--timezone', 'UTC'],
    );
    await openPage('Backup sets');
    await page.getByRole('button', { name: 'Properties of nightly' }).click();
    const props = page.getByRole('dialog', { name: 'Backup set properties of nightly' });
    await props.getByRole('tab', { name: 'Subclients' }).click();
    const row = props
      .getByRole('table', { name: 'Subclients' })
      .getByRole('row')
      .filter({ hasText: 'rare' });
    expect(await row.getByRole('cell').nth(5).textContent()).toMatch(/^Incremental .+ · Full .+/);
    await page.keyboard.press('Escape');
    await props.waitFor({ state: 'detached' });
  });

  it('Settings: the mode reads as plain text, without Markdown backticks', async () => {
    await openPage('Settings');
    const mode = page.getByRole('row', { name: /^Mode/ });
    expect(await mode.textContent()).toContain('hyperkeep serve');
    expect(await mode.textContent()).not.toContain('`');
    expect(pageErrors).toEqual([]);
  });
});

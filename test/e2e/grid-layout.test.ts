import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { navigateTo, openConsole } from '../harness/browser';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * What the grids show at the widths administrators use (UI review P5): whole headers, a job row
 * that names its subclient and VMs, no phase that repeats the status, and host names on one line,
 * at 1400×900 and 1280×800, against the real `hyperkeep serve` after a real subclient backup.
 */
const lab = inject('lab');

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
let pageErrors: string[] = [];

const cli = (...args: string[]) => runCli(['--home', serve.home, ...args]);

async function expectOk(result: Promise<{ code: number; stdout: string; stderr: string }>) {
  const { code, stdout, stderr } = await result;
  expect(code, stderr || stdout).toBe(0);
}

const openPage = (label: string): Promise<void> => navigateTo(page, label);

/** Whether an element's text is cut short (an ellipsis): its content is wider than its box. */
function isCutShort(element: Locator): Promise<boolean> {
  return element.evaluate((el) => el.scrollWidth > el.clientWidth);
}

/** A column header's title while the pointer is on it, with its sort (and menu) button shown. */
async function headerCutShortOnHover(name: string): Promise<boolean> {
  // Not `exact`: once hovered, the header's name takes in its "Sort" button.
  const header = page.getByRole('columnheader', { name: new RegExp(`^${name}\\b`) });
  await header.hover();
  // The buttons slide in (a width transition): measure once they are in place.
  await page.waitForTimeout(400);
  return isCutShort(header.locator('.MuiDataGrid-columnHeaderTitle'));
}

function grid(name: string): Locator {
  return page.getByRole('grid', { name });
}

function hasSidewaysScroll(gridName: string): Promise<boolean> {
  return grid(gridName)
    .locator('.MuiDataGrid-virtualScroller')
    .evaluate((el) => el.classList.contains('MuiDataGrid-virtualScroller--hasScrollX'));
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-grids-'));
  serve = await startServe();
  await expectOk(cli('repo', 'init', '--path', join(scratch, 'repository'), '--no-encrypt'));
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  await expectOk(cli('hypervisor', 'add', '--name', host.name, '--uri', host.uri));
  await expectOk(cli('backupset', 'create', 'lab-set', '--hypervisor', host.name));
  await expectOk(
    cli('subclient', 'create', 'web', '--backupset', 'lab-set', '--rule', 'name~^lab-web'),
  );
  await expectOk(cli('backup', '--subclient', 'web', '--backupset', 'lab-set', '--wait'));
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/vms`, 'Virtual machines'));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Grids at 1400 and 1280 px', () => {
  const vms = lab.vms.filter((vm) => vm.host === 'lab-host-1');

  it('the VM grid keeps "vCPU" and "Provisioned" whole, even with their sort button shown', async () => {
    await grid('Virtual machines')
      .getByRole('row', { name: /lab-db-01/ })
      .waitFor();
    for (const name of ['vCPU', 'Memory', 'Provisioned'])
      expect(await headerCutShortOnHover(name), `header ${name}`).toBe(false);
    // An OS not detected yet reads "Unknown", and why, in full (not "Unknown (…").
    const db = grid('Virtual machines').getByRole('row', { name: /lab-db-01/ });
    const why = db.getByText('detected by a backup', { exact: true });
    await why.waitFor();
    expect(await isCutShort(why)).toBe(false);
    expect(await hasSidewaysScroll('Virtual machines')).toBe(false);
  });

  it('a job row names the subclient and its VM, and a finished job shows no phase', async () => {
    await openPage('Jobs');
    const row = grid('Jobs').getByRole('row', { name: /Backup of lab-set \/ web/ });
    await row.waitFor();
    const title = row.getByText('Backup of lab-set / web', { exact: true });
    expect(await isCutShort(title)).toBe(false);
    await row.getByText('lab-web-01', { exact: true }).waitFor();
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('Succeeded');
    // The engine's phase of an ended job is its status again ("succeeded"): not repeated.
    expect(text).not.toContain('succeeded');
    expect(await headerCutShortOnHover('Duration')).toBe(false);
  });

  it('at 1280×800 nothing scrolls sideways and names stay whole', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    const title = grid('Jobs').getByText('Backup of lab-set / web', { exact: true });
    await expect.poll(() => isCutShort(title)).toBe(false);
    expect(await hasSidewaysScroll('Jobs')).toBe(false);

    await openPage('Virtual machines');
    for (const vm of vms) {
      const name = grid('Virtual machines').getByText(vm.name, { exact: true });
      expect(await isCutShort(name), vm.name).toBe(false);
    }
    expect(await hasSidewaysScroll('Virtual machines')).toBe(false);

    // A host name does not break at its hyphen ("lab-host-\n1").
    await openPage('Hypervisors');
    const cell = page.getByRole('cell', { name: 'lab-host-1', exact: true });
    const lines = await cell.evaluate((el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    });
    expect(lines).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});

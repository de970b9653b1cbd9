import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { navigateTo, openConsole, saveShot } from '../harness/browser';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * Backup status at a glance (UI review P9): the VM grid's "Last backup" column and the
 * dashboard's backup cards, against the real `hyperkeep serve` and the lab's libvirt host. A
 * backup started in the console must turn "Never" into "OK" and move the counts without a reload.
 * HYPERKEEP_E2E_SHOTS=<dir> also saves screenshots of the pages there.
 */
const lab = inject('lab');

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
let pageErrors: string[] = [];

const cli = (...args: string[]) => runCli(['--home', serve.home, ...args]);

const shot = (name: string): Promise<void> => saveShot(page, name);

const openPage = (label: string): Promise<void> => navigateTo(page, label);

function card(title: string): Locator {
  return page.getByRole('region', { name: title, exact: true });
}

async function cardText(title: string): Promise<string> {
  return (await card(title).textContent()) ?? '';
}

function vmRow(name: string): Locator {
  return page
    .getByRole('grid', { name: 'Virtual machines' })
    .getByRole('row', { name: new RegExp(name) });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-glance-'));
  serve = await startServe();
  const init = await cli('repo', 'init', '--path', join(scratch, 'repository'), '--no-encrypt');
  expect(init.code, init.stderr).toBe(0);
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  const added = await cli('hypervisor', 'add', '--name', host.name, '--uri', host.uri);
  expect(added.code, added.stderr).toBe(0);
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/dashboard`, 'Dashboard'));
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Backup status at a glance', () => {
  const vmCount = lab.vms.filter((vm) => vm.host === 'lab-host-1').length;

  it('a new console: no VM protected, no failure, never backed up; the card opens those VMs', async () => {
    await expect.poll(() => cardText('VMs with a restore point')).toContain(`0 of ${vmCount}`);
    expect(await cardText('VMs without a restore point')).toContain(String(vmCount));
    expect(await cardText('Failed backup jobs (24 h)')).toContain('0');
    expect(await cardText('Last successful backup')).toContain('Never');
    await shot('glance-01-dashboard-new');

    await page.getByRole('button', { name: 'Show the VMs without a restore point' }).click();
    await page.getByRole('heading', { level: 1, name: 'Virtual machines' }).waitFor();
    await page.getByText('Without a restore point').waitFor();
    const row = vmRow('lab-web-01');
    await row.waitFor();
    expect(await row.textContent()).toContain('Never');
    const header = page.getByRole('columnheader', { name: 'Last backup' });
    await header.waitFor();
  });

  it('after "Back up now" the row says OK with its age, and the dashboard counts move', async () => {
    await vmRow('lab-web-01').click();
    const drawer = page.getByRole('region', { name: 'Details of lab-web-01' });
    await drawer.getByRole('button', { name: 'Back up now' }).click();
    const job = drawer.getByRole('status', { name: 'Job Backup of lab-web-01' });
    await expect
      .poll(async () => (await job.textContent()) ?? '', { timeout: 110_000 })
      .toMatch(/Succeeded|Failed|Cancelled/);
    expect(await job.textContent()).toContain('Succeeded');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });

    // Still filtered on "without a restore point": lab-web-01 leaves the list live.
    await vmRow('lab-web-01').waitFor({ state: 'detached' });
    await page.getByRole('img', { name: 'Show every virtual machine' }).click();
    const row = vmRow('lab-web-01');
    await expect.poll(async () => (await row.textContent()) ?? '').toMatch(/OK\s*just now/);
    expect(await vmRow('lab-db-01').textContent()).toContain('Never');
    await shot('glance-02-vms-after-backup');

    await openPage('Dashboard');
    await expect.poll(() => cardText('VMs with a restore point')).toContain(`1 of ${vmCount}`);
    expect(await cardText('VMs without a restore point')).toContain(String(vmCount - 1));
    expect(await cardText('Last successful backup')).toContain('just now');
    expect(await cardText('Failed backup jobs (24 h)')).toContain('0');
    await shot('glance-03-dashboard-after-backup');
    expect(pageErrors).toEqual([]);
  });
});

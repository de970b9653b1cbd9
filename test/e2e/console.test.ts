import { hostname } from 'node:os';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, navigateTo } from '../harness/browser';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * The console as an administrator uses it: the real `hyperkeep serve` (built bundle, fresh data
 * home), Debian's Chromium, and the lab's libvirt hosts. Everything goes through the UI.
 */
const lab = inject('lab');
const UNREACHABLE_URI = 'qemu+unix:///session?socket=/nonexistent/sock';

let serve: RunningServe;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  serve = await startServe();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

const openPage = (label: string): Promise<void> => navigateTo(page, label);

describe('console', () => {
  it('opens with the login URL, trades the token for a session and shows the shell', async () => {
    await page.goto(`${serve.url}#/dashboard`);
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    // The token leaves the address bar; the hash route survives the redirect.
    expect(page.url()).toBe(`${serve.baseUrl}/#/dashboard`);
    await page
      .getByRole('region', { name: 'Getting started' })
      .getByText('Register a hypervisor')
      .waitFor();
    await openPage('Settings');
    await page.getByRole('cell', { name: serve.home }).waitFor();
  });

  it('offers "Skip to content" as the first Tab stop, past the top bar and navigation', async () => {
    await openPage('Settings');
    // A fresh load: Tab starts from the top of the document.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('button', { name: 'Skip to content' });
    await expect.poll(() => skip.evaluate((el) => el === document.activeElement)).toBe(true);
    // Hidden above the window until focused, then on screen.
    expect((await skip.boundingBox())?.y).toBeGreaterThanOrEqual(0);
    await page.keyboard.press('Enter');
    // Focus is in the page now: the next Tab reaches the page's own controls, not the navigation.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main-content');
    await page.keyboard.press('Tab');
    const inNavigation = await page.evaluate(() => document.activeElement?.closest('nav') !== null);
    expect(inNavigation).toBe(false);
  });

  it('adds the lab hypervisor through the dialog after a successful connection test', async () => {
    const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
    await openPage('Hypervisors');
    await page.getByRole('button', { name: 'Add hypervisor' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add hypervisor' });
    await dialog.getByLabel('Name').fill(host.name);
    await dialog.getByLabel('URI').fill(host.uri);
    await dialog.getByRole('button', { name: 'Test connection' }).click();

    const success = dialog.getByRole('alert').filter({ hasText: 'Connected to' });
    await success.waitFor();
    const text = (await success.textContent()) ?? '';
    expect(text).toContain(`Connected to ${hostname()}`);
    const vmCount = lab.vms.filter((vm) => vm.host === host.name).length;
    expect(text).toContain(`${vmCount} virtual machines`);

    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('row', { name: new RegExp(host.name) });
    await row.getByText(`${vmCount} VMs`).waitFor();
    expect(await row.textContent()).toContain(host.uri);
    // The host's name, learned when its VMs were listed, shows without a Refresh (review P2).
    await row.getByRole('cell', { name: hostname(), exact: true }).waitFor({ timeout: 10_000 });
  });

  it('refuses a URI that cannot parse, and the same host under a second name', async () => {
    const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
    await page.getByRole('button', { name: 'Add hypervisor' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add hypervisor' });
    await dialog.getByLabel('Name').fill('garbage');
    await dialog.getByLabel('URI').fill('not a uri');
    await dialog.getByLabel('URI').blur();
    // Said next to the field as soon as it is left, with an example; Save is not offered.
    await dialog.getByText(/Not a libvirt URI: use e\.g\. qemu:\/\/\/system/).waitFor();
    expect(await dialog.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);

    await dialog.getByLabel('Name').fill(`${host.name}-again`);
    await dialog.getByLabel('URI').fill(host.uri);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText(`${host.name} already uses ${host.uri}`).waitFor();
    expect(await dialog.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByRole('row', { name: /-again|garbage/ }).count()).toBe(0);
  });

  it('does not offer Remove for a host a backup set uses, and says why', async () => {
    const cli = (...args: string[]) => runCli(['--home', serve.home, ...args]);
    expect(
      (await cli('backupset', 'create', 'uses-host-1', '--hypervisor', 'lab-host-1')).code,
    ).toBe(0);
    await page.getByRole('button', { name: 'Remove lab-host-1' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove lab-host-1?' });
    await confirm.getByText(/lab-host-1 is a target of backup set “uses-host-1”/).waitFor();
    expect(await confirm.getByRole('button', { name: 'Remove' }).isDisabled()).toBe(true);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect((await cli('backupset', 'delete', 'uses-host-1')).code).toBe(0);
  });

  it("lists the lab host's virtual machines with their state and disks", async () => {
    await openPage('Virtual machines');
    const grid = page.getByRole('grid', { name: 'Virtual machines' });
    for (const vm of lab.vms.filter((v) => v.host === 'lab-host-1')) {
      const row = grid.getByRole('row', { name: new RegExp(`\\b${vm.name}\\b`) });
      await row.waitFor();
      const text = (await row.textContent()) ?? '';
      expect(text).toContain(vm.running ? 'Running' : 'Shut off');
      expect(text).toContain(`${vm.disks.length} · ${vm.disks.map((d) => d.target).join(', ')}`);
    }
    const db = lab.vms.find((v) => v.name === 'lab-db-01')!;
    expect(db.disks.map((d) => d.target)).toEqual(['vda', 'vdb']);

    // The filter narrows the table; a row opens the details with every disk's source.
    await page.getByLabel('Filter virtual machines').fill('lab-db');
    await grid.getByRole('row', { name: /lab-web-01/ }).waitFor({ state: 'detached' });
    await grid.getByRole('row', { name: /lab-db-01/ }).click();
    const details = page.getByRole('region', { name: 'Details of lab-db-01' });
    for (const disk of db.disks) await details.getByText(disk.path).waitFor();
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached' });
    await page.getByLabel('Filter virtual machines').fill('');
  });

  it('shows why an unreachable hypervisor does not answer, in the dialog and in the inventory', async () => {
    await openPage('Hypervisors');
    await page.getByRole('button', { name: 'Add hypervisor' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add hypervisor' });
    await dialog.getByLabel('Name').fill('lab-host-gone');
    await dialog.getByLabel('URI').fill(UNREACHABLE_URI);
    await dialog.getByRole('button', { name: 'Test connection' }).click();
    const failure = dialog.getByRole('alert').filter({ hasText: 'Connection failed' });
    await failure.waitFor();
    expect(await failure.textContent()).toContain('/nonexistent/sock');

    // Enter saves after a confirmation, as `hypervisor add --no-test` does in the CLI: a host that
    // is down may come back.
    await dialog.getByLabel('URI').press('Enter');
    const untested = page.getByRole('dialog', { name: 'Save without a working connection?' });
    expect(await untested.textContent()).toContain('/nonexistent/sock');
    await untested.getByRole('button', { name: 'Save anyway' }).click();
    await dialog.waitFor({ state: 'detached' });
    await openPage('Virtual machines');
    const warning = page.getByRole('alert').filter({ hasText: 'The list is incomplete' });
    await warning.waitFor();
    expect(await warning.textContent()).toMatch(/lab-host-gone:.*\/nonexistent\/sock/);
    // The reachable host's machines are still listed.
    await page.getByRole('row', { name: /lab-web-01/ }).waitFor();

    // Removing it asks first, then the inventory is complete again.
    await openPage('Hypervisors');
    await page.getByRole('button', { name: 'Remove lab-host-gone' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove lab-host-gone?' });
    await confirm.getByRole('button', { name: 'Remove' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /lab-host-gone/ }).waitFor({ state: 'detached' });
    await openPage('Virtual machines');
    await page.getByRole('row', { name: /lab-web-01/ }).waitFor();
    expect(await page.getByText('The list is incomplete').count()).toBe(0);
  });

  it('raised no uncaught error and logged no error in the browser', () => {
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

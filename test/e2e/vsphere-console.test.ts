import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/browser';
import { startServe, type RunningServe } from '../harness/serve';
import { startVcsim, type Vcsim } from '../harness/vcsim';

/**
 * Registering a vCenter as an administrator does it (issue 7): the console shows the server's
 * certificate fingerprint, pins it only after "Accept", and then lists the vCenter's VMs. Real
 * `hyperkeep serve`, Debian's Chromium, govmomi's simulator on loopback.
 */
let vcenter: Vcsim;
let serve: RunningServe;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  vcenter = await startVcsim({ model: 'vpx' });
  serve = await startServe();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await vcenter?.stop();
});

describe('adding a vCenter in the console', () => {
  it('shows the certificate, pins it on Accept, connects, and lists the VMs', async () => {
    await page.goto(serve.url);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Hypervisors' })
      .click();
    await page.getByRole('button', { name: 'Add hypervisor' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add hypervisor' });
    await dialog.getByLabel('Name').fill('vcenter-e2e');
    await dialog.getByLabel('Type').click();
    await page.getByRole('option', { name: /VMware vSphere/ }).click();
    await dialog.getByLabel('URI').fill(vcenter.url);
    await dialog.getByLabel('User').fill(vcenter.username);
    await dialog.getByLabel('Password').fill(vcenter.password);
    await dialog.getByRole('button', { name: 'Test connection' }).click();

    // Not pinned yet: the fingerprint is shown for comparison, and nothing connects.
    const certificate = dialog.getByRole('alert').filter({ hasText: 'Server certificate' });
    await certificate.waitFor();
    expect(await certificate.getByLabel('Certificate fingerprint').textContent()).toBe(
      vcenter.fingerprint,
    );
    await certificate.getByRole('button', { name: 'Accept' }).click();
    await expect
      .poll(() => dialog.getByLabel('Certificate fingerprint (SHA-256)').inputValue())
      .toBe(vcenter.fingerprint);
    await dialog.getByRole('button', { name: 'Test connection' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Connected to' }).waitFor();

    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /vcenter-e2e/ }).waitFor();

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Virtual machines' })
      .click();
    const grid = page.getByRole('grid', { name: 'Virtual machines' });
    await grid.getByRole('row', { name: /DC0_H0_VM0/ }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});

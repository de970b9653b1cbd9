import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openConsole, saveShot } from '../harness/browser';
import { cliOn } from '../harness/points-drawer';
import { startServe, type RunningServe } from '../harness/serve';

/**
 * The VM drawer says which backup set and subclient protect the VM (usability review): a set on
 * lab-host-1 whose subclient "web" takes lab-web-01 by rule, and that leaves the VMs no rule
 * claims unprotected (lab-db-01). The real `hyperkeep serve` and Chromium.
 */
const lab = inject('lab');

let serve: RunningServe;
let browser: Browser;
let page: Page;
let pageErrors: string[] = [];

const cli = (...args: string[]) => cliOn(serve.home, ...args);
const shot = (name: string): Promise<void> => saveShot(page, `vm-protection-${name}`);

/** Opens `vm`'s drawer from the VM grid; returns its "Protection" line once loaded. */
async function protectionOf(vm: string): Promise<Locator> {
  await page
    .getByRole('grid', { name: 'Virtual machines' })
    .getByRole('row', { name: new RegExp(vm) })
    .click();
  const line = page.getByRole('region', { name: `Details of ${vm}` }).getByLabel('Protection');
  await line.waitFor();
  return line;
}

beforeAll(async () => {
  serve = await startServe();
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  await cli('hypervisor', 'add', '--name', host.name, '--uri', host.uri);
  await cli('backupset', 'create', 'lab-set', '--hypervisor', host.name, '--no-auto-add-unmatched');
  await cli('subclient', 'create', 'web', '--backupset', 'lab-set', '--rule', 'name~^lab-web');
  await cli('discover', '--backupset', 'lab-set');
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/vms`, 'Virtual machines'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

describe('Protection in the VM drawer', () => {
  it('a VM in a subclient names its backup set and subclient, and opens that set', async () => {
    const line = await protectionOf('lab-web-01');
    expect(await line.textContent()).toContain('Protected by: lab-set › web');
    await shot('01-protected');

    await line.getByRole('button', { name: 'Open backup set lab-set' }).click();
    // The set's properties open on its VMs, over the Backup sets page.
    const dialog = page.getByRole('dialog', { name: /lab-set/ });
    await dialog.waitFor();
    expect(await dialog.getByRole('tab', { selected: true }).textContent()).toBe(
      'Virtual Machine Configuration',
    );
    await shot('02-set-opened');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 1, name: 'Backup sets' }).waitFor();
  });

  it('a VM no subclient holds says it is not protected, with the way to Backup sets', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Virtual machines' })
      .click();
    const line = await protectionOf('lab-db-01');
    const text = (await line.textContent()) ?? '';
    expect(text).toContain("Not protected — not in any backup set's subclient");
    expect(text).not.toContain('Protected by');
    await shot('03-not-protected');

    await line.getByRole('button', { name: 'Go to Backup sets' }).click();
    await page.getByRole('heading', { level: 1, name: 'Backup sets' }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});

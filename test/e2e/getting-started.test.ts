import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { navigateTo, openConsole, saveShot } from '../harness/browser';
import { cliOn } from '../harness/points-drawer';
import { startServe, type RunningServe } from '../harness/serve';

/**
 * The dashboard's first-run checklist (usability review) on a fresh data home of the real
 * `hyperkeep serve`: four steps unticked, the hypervisor one ticked once a host is added through
 * the card's own button, and the card gone once a repository, a backup set and a restore point
 * exist too. On another fresh console, an administrator who manages VMs by other means closes it
 * and it stays closed across a reload.
 */
const lab = inject('lab');
const STEPS = [
  'Register a hypervisor',
  'Create a repository',
  'Create a backup set',
  'Back up a VM',
] as const;

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
let pageErrors: string[] = [];

const cli = (...args: string[]) => cliOn(serve.home, ...args);
const card = (on: Page = page): Locator => on.getByRole('region', { name: 'Getting started' });

/** Each step's state as the card says it to a screen reader: "Create a repository: done". */
async function stepStates(): Promise<string[]> {
  return card()
    .getByRole('listitem')
    .evaluateAll((items) => items.map((li) => li.getAttribute('aria-label') ?? ''));
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-getting-started-'));
  serve = await startServe();
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/dashboard`, 'Dashboard'));
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Getting started on the dashboard', () => {
  it('a fresh console lists the four steps, none done', async () => {
    await expect.poll(stepStates).toEqual(STEPS.map((step) => `${step}: not done yet`));
    expect(await card().textContent()).toContain('0 of 4 done');
    await saveShot(page, 'getting-started-01-fresh');
  });

  it('the hypervisor step leads to the Add hypervisor dialog and is ticked once one is added', async () => {
    const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
    await card().getByRole('button', { name: 'Add hypervisor' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add hypervisor' });
    await dialog.getByLabel('Name').fill(host.name);
    await dialog.getByLabel('URI').fill(host.uri);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 1, name: 'Hypervisors' }).waitFor();

    await navigateTo(page, 'Dashboard');
    await expect
      .poll(stepStates)
      .toEqual([
        'Register a hypervisor: done',
        ...STEPS.slice(1).map((step) => `${step}: not done yet`),
      ]);
    expect(await card().textContent()).toContain('1 of 4 done');
    await saveShot(page, 'getting-started-02-hypervisor');
  });

  it('goes once a repository, a backup set and a restore point exist', async () => {
    await cli('repo', 'init', '--path', join(scratch, 'repository'), '--no-encrypt');
    await cli('backupset', 'create', 'lab-set', '--hypervisor', 'lab-host-1');
    await expect
      .poll(stepStates)
      .toEqual([
        'Register a hypervisor: done',
        'Create a repository: done',
        'Create a backup set: done',
        'Back up a VM: not done yet',
      ]);
    await cli('backup', '--vm', 'lab-web-01', '--wait');
    await card().waitFor({ state: 'detached' });
    expect(pageErrors).toEqual([]);
  });
});

describe('Dismissing Getting started', () => {
  // A console of its own: the flow above needs the card until its last step. Another port is
  // another origin, so this one starts with nothing remembered either.
  let ownServe: RunningServe;
  let ownBrowser: Browser;
  let ownPage: Page;
  let ownErrors: string[] = [];

  beforeAll(async () => {
    ownServe = await startServe();
    ({
      browser: ownBrowser,
      page: ownPage,
      pageErrors: ownErrors,
    } = await openConsole(`${ownServe.url}#/dashboard`, 'Dashboard'));
  });

  afterAll(async () => {
    await ownBrowser?.close();
    await ownServe?.stop();
  });

  it('closes the card with its Dismiss button, and it stays closed after a reload', async () => {
    await card(ownPage).waitFor();
    const dismiss = card(ownPage).getByRole('button', { name: 'Dismiss getting started' });
    // Reachable from the keyboard: a real button that takes focus.
    await dismiss.focus();
    expect(await dismiss.evaluate((el) => el === document.activeElement)).toBe(true);
    await dismiss.click();
    await card(ownPage).waitFor({ state: 'detached' });

    // The card only appears once the lists it counts have loaded: reload, let every request of
    // the fresh page settle, then it would be there if the dismissal had been forgotten.
    await ownPage.reload({ waitUntil: 'networkidle' });
    await ownPage.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await ownPage.waitForLoadState('networkidle');
    expect(await card(ownPage).count()).toBe(0);
    await saveShot(ownPage, 'getting-started-03-dismissed');
    expect(ownErrors).toEqual([]);
  });
});

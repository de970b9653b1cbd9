import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openConsole } from '../harness/browser';
import { runCli, startServe, type RunningServe } from '../harness/serve';
import { setUpLabWebSubclient } from '../harness/points-drawer';

/**
 * The Retention tab says what prune would delete before the administrator saves (second UI
 * review P10): two real points of lab-web-01 in subclient "web", the real `hyperkeep serve`.
 * HYPERKEEP_E2E_SHOTS=<dir> also saves a screenshot of the tab there.
 */
const lab = inject('lab');
const shotDir = process.env['HYPERKEEP_E2E_SHOTS'];

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
let pageErrors: string[] = [];

async function cli(...args: string[]): Promise<void> {
  const result = await runCli(['--home', serve.home, ...args]);
  expect(result.code, `hyperkeep ${args.join(' ')}: ${result.stderr}`).toBe(0);
}

function eventually<T>(read: () => Promise<T> | T) {
  return expect.poll(read, { timeout: 15_000, interval: 100 });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-retention-'));
  serve = await startServe();
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  await setUpLabWebSubclient(serve.home, join(scratch, 'repository'), host);
  await cli('backup', '--subclient', 'web', '--backupset', 'lab-set', '--full', '--wait');
  await cli('backup', '--subclient', 'web', '--backupset', 'lab-set', '--wait');
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/backup-sets`, 'Backup sets'));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function openSubclients(): Promise<Locator> {
  await page.getByRole('button', { name: 'Properties of lab-set' }).click();
  const props = page.getByRole('dialog', { name: 'Backup set properties of lab-set' });
  await props.getByRole('tab', { name: 'Subclients' }).click();
  return props;
}

describe('Retention preview', () => {
  it('shows what the values being typed keep of the subclient’s points, before saving', async () => {
    const props = await openSubclients();
    await props.getByRole('button', { name: 'Properties of web' }).click();
    const web = page.getByRole('dialog', { name: 'Subclient properties of web' });
    await web.getByRole('tab', { name: 'Retention' }).click();
    const preview = web.getByTestId('retention-preview');
    // The defaults (last 7, daily 14 …) keep both points.
    await eventually(() => preview.innerText()).toBe(
      'With these settings: 2 of 2 restore points kept, 0 removed after the next backup or prune.',
    );
    for (const rule of ['Keep daily', 'Keep weekly', 'Keep monthly', 'Keep yearly'])
      await web.getByRole('textbox', { name: rule }).fill('0');
    const last = web.getByRole('textbox', { name: 'Keep last' });
    await last.fill('1');
    await eventually(() => preview.innerText()).toBe(
      'With these settings: 1 of 2 restore points kept, 1 removed after the next backup or prune.',
    );
    if (shotDir !== undefined) {
      mkdirSync(shotDir, { recursive: true });
      await page.screenshot({ path: join(shotDir, 'retention-preview.png') });
    }
    // A policy prune would refuse is named where the numbers were.
    await last.fill('0');
    await eventually(() => preview.innerText()).toMatch(/keeps nothing/);
    // Nothing was saved: Cancel, and the saved subclient still keeps both.
    await last.fill('7');
    await eventually(() => preview.innerText()).toMatch(/2 of 2 restore points kept/);
    await web.getByRole('button', { name: 'Cancel' }).click();
    // The zeroed rules make the form dirty: Cancel asks before dropping them.
    const discard = page.getByRole('dialog', { name: 'Discard changes?' });
    await discard.getByRole('button', { name: /^Discard/ }).click();
    await web.waitFor({ state: 'detached' });

    // A subclient not saved yet has no points to preview.
    await props.getByRole('button', { name: 'Add subclient' }).click();
    const fresh = page.getByRole('dialog', { name: 'New subclient' });
    await fresh.getByRole('tab', { name: 'Retention' }).click();
    await fresh
      .getByTestId('retention-preview')
      .getByText('What these settings keep is shown once the subclient is saved', { exact: false })
      .waitFor();
    expect(pageErrors).toEqual([]);
  });
});

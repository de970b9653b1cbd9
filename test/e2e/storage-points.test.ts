import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RestorePoint } from '../../shared/domain/jobs';
import { launchChromium, newZonedPage, saveShot } from '../harness/browser';
import { cliOn, dialogOpened, engineCall, isFocused, pointsDrawer } from '../harness/points-drawer';
import { startServe, type RunningServe } from '../harness/serve';

/**
 * The restore points of a VM no hypervisor lists any more (here: its hypervisor was removed
 * from the console after two backups) are managed from the Storage page: the VM's row says it
 * is not in the inventory, and "Manage points…" opens the same table as the VM drawer, where the
 * older point is deleted from the keyboard. Real `hyperkeep serve`, lab and Chromium at 1280 px.
 * HYPERKEEP_E2E_SHOTS=<dir> also saves screenshots there.
 */
const lab = inject('lab');
const VM = 'lab-archive-01';
const HOST = 'lab-host-1';
const FINAL_STATUS = /Succeeded|Partially succeeded|Failed|Cancelled/;
const ZONE = 'Europe/Paris';

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
/** lab-archive-01's points before the deletion: newest first. */
let points: RestorePoint[] = [];
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

const shot = (name: string): Promise<void> => saveShot(page, `storage-points-${name}`);
const dialog = (): Locator => page.getByRole('dialog', { name: `Restore points of ${VM}` });
const { localTime, moreActions, pointRows } = pointsDrawer(() => page, VM, ZONE, dialog);
const cli = (...args: string[]) => cliOn(serve.home, ...args);

const byVmTable = (): Locator => page.getByRole('table', { name: 'Restore points by VM' });
const vmRow = (): Locator => byVmTable().getByRole('row', { name: new RegExp(`^${VM}\\b`) });

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-storage-points-'));
  serve = await startServe();
  await cli('repo', 'init', '--path', join(scratch, 'repository'), '--no-encrypt');
  const host = lab.hosts.find((h) => h.name === HOST)!;
  await cli('hypervisor', 'add', '--name', host.name, '--uri', host.uri);
  await cli('backup', '--vm', VM, '--wait');
  // Points a second apart at least: their times, shown to the second, differ.
  await new Promise((r) => setTimeout(r, 1100));
  await cli('backup', '--vm', VM, '--wait');
  // Its only hypervisor gone, the VM is in no inventory; its points stay in the repository.
  await cli('hypervisor', 'remove', HOST);
  browser = await launchChromium();
  page = await newZonedPage(browser, ZONE, { width: 1280, height: 800 }, pageErrors, consoleErrors);
  await page.goto(`${serve.url}#/storage`);
  await page.getByRole('heading', { level: 1, name: 'Storage' }).waitFor();
  points = await engineCall(page, 'points.list', { vm: VM });
  expect(points).toHaveLength(2);
  expect(await engineCall(page, 'vm.list', {})).toMatchObject({ vms: [] });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Restore points by VM on the Storage page', () => {
  it('lists the VM with its points and says it is not in the inventory', async () => {
    const [newer] = points as [RestorePoint, RestorePoint];
    await page.getByRole('heading', { level: 2, name: 'Restore points by VM' }).waitFor();
    const row = vmRow();
    await row.getByText('Not in the inventory').waitFor();
    const cells = row.getByRole('cell');
    expect(await cells.nth(2).textContent()).toBe('2');
    expect(await cells.nth(3).textContent()).toBe(localTime(newer.time));
    // At 1280 px the page does not scroll sideways and the row's button is in view.
    const manage = row.getByRole('button', { name: `Manage points of ${VM}…` });
    await manage.scrollIntoViewIfNeeded();
    const box = (await manage.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(1280);
    const sideways = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(sideways).toBe(0);
    await shot('01-row');
  });

  it('deletes the older point from the keyboard in the Manage points dialog', async () => {
    const [newer, older] = points as [RestorePoint, RestorePoint];
    const manage = vmRow().getByRole('button', { name: `Manage points of ${VM}…` });
    await manage.focus();
    await page.keyboard.press('Enter');
    await dialog().waitFor();
    await dialogOpened(dialog());
    await expect.poll(() => pointRows().count()).toBe(2);
    await shot('02-dialog');

    // The row's More actions menu: its last item deletes.
    await moreActions(older, dialog()).focus();
    await page.keyboard.press('Enter');
    const item = page.getByRole('menuitem', { name: /^Delete restore point/ });
    await page.keyboard.press('End');
    await expect.poll(() => isFocused(item)).toBe(true);
    await page.keyboard.press('Enter');
    const confirmation = page.getByRole('dialog', { name: `Delete restore point of ${VM}?` });
    await confirmation.waitFor();
    await expect
      .poll(() => isFocused(confirmation.getByRole('button', { name: 'Cancel' })))
      .toBe(true);
    await page.keyboard.press('Tab');
    expect(
      await isFocused(confirmation.getByRole('button', { name: 'Delete restore point' })),
    ).toBe(true);
    await page.keyboard.press('Enter');
    await confirmation.waitFor({ state: 'detached' });

    // The deletion job is followed in the dialog, its status taking the focus.
    const title = `Delete restore point ${localTime(older.time)} of ${VM} from default`;
    const status = dialog().getByRole('status', { name: `Job ${title}` });
    await expect.poll(() => isFocused(status)).toBe(true);
    await expect
      .poll(async () => (await status.textContent()) ?? '', { timeout: 60_000 })
      .toMatch(FINAL_STATUS);
    expect(await status.textContent()).toContain('Succeeded');
    await expect.poll(() => pointRows().count()).toBe(1);
    await moreActions(newer, dialog()).waitFor();
    await shot('03-deleted');

    // Escape closes it, as any dialog; the VM's row counts the point left.
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
    await expect.poll(async () => vmRow().getByRole('cell').nth(2).textContent()).toBe('1');
    expect((await engineCall(page, 'points.list', { vm: VM })).map((p) => p.id)).toEqual([
      newer.id,
    ]);
  });

  it('raised no uncaught error and logged no error in the browser', () => {
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

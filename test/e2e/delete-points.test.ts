import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Channel, RequestOf } from '../../shared/contract';
import type { Job, RestorePoint } from '../../shared/domain/jobs';
import { launchChromium, newZonedPage, saveShot } from '../harness/browser';
import {
  backUpNowFromDrawer,
  cliOn,
  dialogOpened,
  engineCall,
  isFocused,
  pointsDrawer,
} from '../harness/points-drawer';
import { startServe, type RunningServe } from '../harness/serve';

/**
 * Deleting restore points by hand from the VM drawer: two real points of lab-web-01, the real
 * `hyperkeep serve` and Chromium, driven from the keyboard. Cancel deletes nothing; confirming
 * deletes the older point in a job whose outcome is shown where it was started, and the newer
 * point still browses. HYPERKEEP_E2E_SHOTS=<dir> also saves screenshots there.
 */
const lab = inject('lab');
const VM = 'lab-web-01';
const FINAL_STATUS = /Succeeded|Partially succeeded|Failed|Cancelled/;
const ZONE = 'Europe/Paris';

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
/** lab-web-01's points as the engine listed them before any deletion: newest first. */
let points: RestorePoint[] = [];
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

const shot = (name: string): Promise<void> => saveShot(page, `delete-points-${name}`);
const { localTime, drawer, pointsTable, pointRows, moreActions } = pointsDrawer(
  () => page,
  VM,
  ZONE,
);
const engine = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  engineCall(page, channel, request);
const cli = (...args: string[]) => cliOn(serve.home, ...args);

const deleteJobs = async (): Promise<Job[]> =>
  (await engine('job.list', {})).filter((job) => job.kind === 'delete');

/** Opens a point's "Delete restore point…" from the keyboard: the menu's last item. */
async function pressDelete(point: RestorePoint): Promise<void> {
  await moreActions(point).focus();
  await page.keyboard.press('Enter');
  const item = page.getByRole('menuitem', { name: /^Delete restore point/ });
  await page.keyboard.press('End');
  await expect.poll(() => isFocused(item)).toBe(true);
  await page.keyboard.press('Enter');
}

/** "Back up now" in the drawer, until the job succeeded and the table shows `expected` points. */
async function backUpFromDrawer(expected: number): Promise<void> {
  await backUpNowFromDrawer(page, drawer());
  const backup = drawer().getByRole('status', { name: `Job Backup of ${VM}` });
  await expect.poll(async () => (await backup.textContent()) ?? '').toMatch(FINAL_STATUS);
  expect(await backup.textContent()).toContain('Succeeded');
  await expect.poll(() => pointRows().count()).toBe(expected);
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-delete-points-'));
  serve = await startServe();
  await cli('repo', 'init', '--path', join(scratch, 'repository'), '--no-encrypt');
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  await cli('hypervisor', 'add', '--name', host.name, '--uri', host.uri);
  await cli('backup', '--vm', VM, '--full', '--wait');
  // Points a second apart at least: their times, shown to the second, differ.
  await new Promise((r) => setTimeout(r, 1100));
  await cli('backup', '--vm', VM, '--wait');
  browser = await launchChromium();
  page = await newZonedPage(browser, ZONE, { width: 1400, height: 900 }, pageErrors, consoleErrors);
  await page.goto(`${serve.url}#/vms`);
  await page.getByRole('heading', { level: 1, name: 'Virtual machines' }).waitFor();
  points = await engine('points.list', { vm: VM });
  expect(points.map((p) => p.type)).toEqual(['incremental', 'full']);
  await page
    .getByRole('grid', { name: 'Virtual machines' })
    .getByRole('row', { name: new RegExp(VM) })
    .click();
  await pointRows().nth(1).waitFor();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Deleting restore points from the VM drawer', () => {
  it('asks first, with Cancel focused, and Cancel deletes nothing', async () => {
    const older = points[1]!;
    const button = moreActions(older);
    // The new column and action still fit the drawer: nothing scrolls sideways (review P12).
    const drawerBox = (await drawer().boundingBox())!;
    const buttonBox = (await button.boundingBox())!;
    expect(buttonBox.x + buttonBox.width).toBeLessThanOrEqual(drawerBox.x + drawerBox.width);
    const sideways = await pointsTable().evaluate((el) => {
      const scroller = el.parentElement!;
      return scroller.scrollWidth - scroller.clientWidth;
    });
    expect(sideways).toBe(0);

    await pressDelete(older);
    const dialog = page.getByRole('dialog', { name: `Delete restore point of ${VM}?` });
    await dialog.waitFor();
    const cancel = dialog.getByRole('button', { name: 'Cancel' });
    await expect.poll(() => isFocused(cancel)).toBe(true);
    const text = (await dialog.textContent()) ?? '';
    expect(text).toContain(
      `The restore point of ${localTime(older.time)} of ${VM} (full) will be deleted from repository default. This cannot be undone.`,
    );
    expect(text).toContain(`The other restore point of ${VM} stays restorable`);
    expect(text).toContain('synthetic full');
    expect(text).toContain('Space is freed only for the data no other restore point uses');
    const confirm = dialog.getByRole('button', { name: 'Delete restore point' });
    expect(await confirm.getAttribute('class')).toContain('MuiButton-colorError');
    await dialogOpened(dialog);
    await shot('01-confirm');

    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    // The focus is back where the administrator was.
    await expect.poll(() => isFocused(button)).toBe(true);
    expect(await pointRows().count()).toBe(2);
    expect((await engine('points.list', { vm: VM })).map((p) => p.id)).toEqual(
      points.map((p) => p.id),
    );
    expect(await deleteJobs()).toEqual([]);
  });

  it('deletes the older point from the keyboard; the newer one stays and still browses', async () => {
    const [newer, older] = points as [RestorePoint, RestorePoint];
    await pressDelete(older);
    const dialog = page.getByRole('dialog', { name: `Delete restore point of ${VM}?` });
    const confirm = dialog.getByRole('button', { name: 'Delete restore point' });
    await expect.poll(() => isFocused(dialog.getByRole('button', { name: 'Cancel' }))).toBe(true);
    await page.keyboard.press('Tab');
    expect(await isFocused(confirm)).toBe(true);
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });

    // The job is followed in the drawer, and its status takes the focus: the row whose button
    // had it is about to go.
    const title = `Delete restore point ${localTime(older.time)} of ${VM} from default`;
    const status = drawer().getByRole('status', { name: `Job ${title}` });
    await expect.poll(() => isFocused(status)).toBe(true);
    await expect
      .poll(async () => (await status.textContent()) ?? '', { timeout: 60_000 })
      .toMatch(FINAL_STATUS);
    expect(await status.textContent()).toContain('Succeeded');
    await status
      .getByText(
        new RegExp(
          `^Removed 1 restore point, freed .+; 1 other restore point of ${VM} remains\\.$`,
        ),
      )
      .waitFor();
    expect(await status.getByRole('list', { name: 'Removed' }).textContent()).toBe(
      `${VM} ${localTime(older.time)} — deleted by request`,
    );

    // The table follows without a reload: only the newer point is left.
    await expect.poll(() => pointRows().count()).toBe(1);
    await moreActions(newer).waitFor();
    expect(await moreActions(older).count()).toBe(0);
    await shot('02-deleted');

    const left = await engine('points.list', { vm: VM });
    expect(left.map((p) => p.id)).toEqual([newer.id]);
    // Its data survived the garbage collection: its volumes list, and the guest's root file
    // system (the one with /home) reads from the repository.
    const root = await engine('files.list', { vm: VM, pointId: newer.id, path: '/' });
    expect(root.pointId).toBe(newer.id);
    const folders: string[] = [];
    for (const volume of root.entries.filter((entry) => entry.type === 'dir')) {
      const inside = await engine('files.list', { vm: VM, pointId: newer.id, path: volume.path });
      folders.push(...inside.entries.map((entry) => entry.path));
    }
    expect(folders).toContainEqual(expect.stringMatching(/^\/vda\d+\/home$/));

    // The Jobs page tells the same: a "Delete points" job naming the point and why it went.
    const [job] = await deleteJobs();
    expect(job).toMatchObject({ title: expect.stringContaining(older.time), status: 'succeeded' });
    await status.getByRole('button', { name: 'Open in Jobs' }).click();
    const details = page.getByRole('region', { name: `Job details: ${title}` });
    await details.getByRole('heading', { name: 'Restore points' }).waitFor();
    await details.getByRole('cell', { name: 'deleted by request' }).waitFor();
    await shot('03-job-details');
  });

  it('a point deleted elsewhere while the dialog is open: the dialog says so, nothing else goes', async () => {
    // The drawer comes back with the Virtual machines page.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Virtual machines' })
      .click();
    await drawer().waitFor();
    await backUpFromDrawer(2);
    const [newest, kept] = (await engine('points.list', { vm: VM })) as [
      RestorePoint,
      RestorePoint,
    ];
    await moreActions(newest).click();
    await page.getByRole('menuitem', { name: /^Delete restore point/ }).click();
    const dialog = page.getByRole('dialog', { name: `Delete restore point of ${VM}?` });
    await dialog.waitFor();
    // Another console (here: the API) deletes the same point first.
    const other = await engine('points.delete', { ids: [newest.id] });
    await expect
      .poll(async () => (await engine('job.get', { id: other.id })).status, { timeout: 60_000 })
      .toBe('succeeded');
    await dialog.getByRole('button', { name: 'Delete restore point' }).click();
    await dialog
      .getByRole('alert')
      .getByText(`Repository "default" has no restore point ${newest.id}`, { exact: false })
      .waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => pointRows().count()).toBe(1);
    expect((await engine('points.list', { vm: VM })).map((p) => p.id)).toEqual([kept.id]);
  });

  it('deletes the points ticked, the last ones of the VM, and says so first', async () => {
    await backUpFromDrawer(2);
    const current = await engine('points.list', { vm: VM });

    const deleteSelected = drawer().getByRole('button', { name: /^Delete selected/ });
    expect(await deleteSelected.isDisabled()).toBe(true);
    await drawer().getByRole('checkbox', { name: 'Select every restore point' }).check();
    expect(await deleteSelected.textContent()).toBe('Delete selected (2)…');
    await deleteSelected.click();
    const dialog = page.getByRole('dialog', { name: `Delete 2 restore points of ${VM}?` });
    const listed = dialog.getByRole('list', { name: 'Restore points to delete' });
    expect(await listed.getByRole('listitem').allTextContents()).toEqual(
      current.map((p) => `${localTime(p.time)} — ${p.type}`),
    );
    await dialog
      .getByText(`These are the last restore points of ${VM}`, { exact: false })
      .waitFor();
    await dialogOpened(dialog);
    await shot('04-confirm-selected');
    await dialog.getByRole('button', { name: 'Delete 2 restore points' }).click();
    await dialog.waitFor({ state: 'detached' });

    const status = drawer().getByRole('status', {
      name: `Job Delete 2 restore points of ${VM} from default`,
    });
    await expect
      .poll(async () => (await status.textContent()) ?? '', { timeout: 60_000 })
      .toMatch(FINAL_STATUS);
    expect(await status.textContent()).toContain('Succeeded');
    // Not "kept 0", which reads like data loss (review M11): the confirmation said these were
    // the last points.
    await status.getByText(/^Removed 2 restore points, freed [^;]+\.$/).waitFor();
    await drawer()
      .getByText('No restore point. “Back up now” makes one (a full backup).')
      .waitFor();
    expect(await engine('points.list', { vm: VM })).toEqual([]);
  });

  it('raised no uncaught error and logged no error in the browser', () => {
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

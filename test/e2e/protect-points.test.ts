import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Channel, RequestOf } from '../../shared/contract';
import type { BackupJobResult, Job, PruneJobResult, RestorePoint } from '../../shared/domain/jobs';
import { launchChromium, newZonedPage, saveShot } from '../harness/browser';
import {
  cliOn,
  dialogOpened,
  backUpNowFromDrawer,
  engineAnswer,
  engineCall,
  isFocused,
  pointsDrawer,
  setUpLabWebSubclient,
} from '../harness/points-drawer';
import { startServe, type RunningServe } from '../harness/serve';

/**
 * Protecting a restore point from the VM drawer: real points of lab-web-01 in subclient "web",
 * the real `hyperkeep serve` and Chromium, driven from the keyboard. A protected point says so
 * (with its reason), cannot be deleted, and outlives the retention applied after a backup while
 * an unprotected one goes; once its protection is lifted it can be deleted again.
 * HYPERKEEP_E2E_SHOTS=<dir> also saves screenshots there.
 */
const lab = inject('lab');
const VM = 'lab-web-01';
const SET = ['--backupset', 'lab-set'];
const FINAL_STATUS = /Succeeded|Partially succeeded|Failed|Cancelled/;
const ZONE = 'Europe/Paris';
const REASON = 'before the upgrade to 12.4';

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
/** lab-web-01's two first points, newest first. */
let points: RestorePoint[] = [];
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

const shot = (name: string): Promise<void> => saveShot(page, `protect-points-${name}`);
const { localTime, drawer, pointsTable, pointRows, moreActions } = pointsDrawer(
  () => page,
  VM,
  ZONE,
);
const engine = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  engineCall(page, channel, request);
const cli = (...args: string[]) => cliOn(serve.home, ...args);
const answer = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  engineAnswer(page, channel, request);

const listPoints = (): Promise<RestorePoint[]> => engine('points.list', { vm: VM });

function rowOf(point: RestorePoint): Locator {
  // `has` looks inside each row: its locator starts from the page, not the drawer.
  return pointRows().filter({ has: moreActions(point, page) });
}

function menuItem(name: RegExp): Locator {
  return page.getByRole('menu').getByRole('menuitem', { name });
}

/** Opens a point's menu from the keyboard; the focus lands on its first item. */
async function openMenu(point: RestorePoint): Promise<void> {
  await moreActions(point).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('menu').waitFor();
}

/** The "Protected" badge of a row; its name is its tooltip. */
function protectedBadge(point: RestorePoint): Locator {
  return rowOf(point).getByRole('img', { name: /^Protected/ });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-protect-points-'));
  serve = await startServe();
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  // The default retention (the last 7, …) keeps both points taken here.
  await setUpLabWebSubclient(serve.home, join(scratch, 'repository'), host);
  await cli('backup', '--subclient', 'web', ...SET, '--full', '--wait');
  // Points a second apart at least: their times, shown to the second, differ.
  await new Promise((r) => setTimeout(r, 1100));
  await cli('backup', '--subclient', 'web', ...SET, '--wait');
  browser = await launchChromium();
  page = await newZonedPage(browser, ZONE, { width: 1400, height: 900 }, pageErrors, consoleErrors);
  await page.goto(`${serve.url}#/vms`);
  await page.getByRole('heading', { level: 1, name: 'Virtual machines' }).waitFor();
  points = await listPoints();
  expect(points.map((p) => p.type)).toEqual(['incremental', 'full']);
  expect(points.map((p) => p.protection)).toEqual([undefined, undefined]);
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

describe('Protecting restore points from the VM drawer', () => {
  it('protects the older point from the keyboard, with a reason shown in its row', async () => {
    const [newer, older] = points as [RestorePoint, RestorePoint];
    expect(await protectedBadge(older).count()).toBe(0);
    await openMenu(older);
    const protect = menuItem(/^Protect restore point…/);
    await expect.poll(() => isFocused(protect)).toBe(true);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Protect restore point of ${VM}` });
    await dialog.waitFor();
    const text = (await dialog.textContent()) ?? '';
    expect(text).toContain(
      `The restore point of ${localTime(older.time)} (full) will be kept whatever the retention of its subclient says, and cannot be deleted until the protection is lifted.`,
    );
    // The focus starts in the optional reason; Enter there protects.
    const reason = dialog.getByRole('textbox', { name: 'Reason' });
    await expect.poll(() => isFocused(reason)).toBe(true);
    await page.keyboard.type(REASON);
    await dialogOpened(dialog);
    await shot('01-protect');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });

    // The focus is back on the row's menu button, whose menu now lifts the protection.
    await expect.poll(() => isFocused(moreActions(older))).toBe(true);
    const [, stored] = (await listPoints()) as [RestorePoint, RestorePoint];
    expect(stored.id).toBe(older.id);
    expect(stored.protection?.reason).toBe(REASON);
    const badge = protectedBadge(older);
    expect(await badge.getAttribute('aria-label')).toBe(
      `Protected since ${localTime(stored.protection!.since)}: ${REASON}`,
    );
    expect(await badge.textContent()).toBe('Protected');
    await badge.hover();
    await page
      .getByRole('tooltip', { name: `Protected since ${localTime(stored.protection!.since)}` })
      .waitFor();
    expect(await protectedBadge(newer).count()).toBe(0);

    // It cannot be deleted: neither its menu nor its tick offers it, and the menu says why.
    await openMenu(older);
    await menuItem(/^Lift protection…/).waitFor();
    const refusedDelete = menuItem(/^Delete restore point…/);
    expect(await refusedDelete.getAttribute('aria-disabled')).toBe('true');
    expect(await refusedDelete.textContent()).toContain('Protected: lift the protection first');
    await expect
      .poll(() =>
        page
          .getByRole('menu')
          .evaluate((el) => getComputedStyle(el.closest('.MuiPaper-root') ?? el).opacity),
      )
      .toBe('1');
    await shot('02-menu-of-protected');
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
    await expect.poll(() => isFocused(moreActions(older))).toBe(true);
    await openMenu(newer);
    expect(await menuItem(/^Delete restore point…/).getAttribute('aria-disabled')).toBeNull();
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
    expect(await rowOf(older).getByRole('checkbox').isDisabled()).toBe(true);
    await drawer().getByRole('checkbox', { name: 'Select every restore point' }).check();
    const deleteSelected = drawer().getByRole('button', { name: /^Delete selected/ });
    expect(await deleteSelected.textContent()).toBe('Delete selected (1)…');
    await drawer().getByRole('checkbox', { name: 'Select every restore point' }).uncheck();
    expect(await deleteSelected.isDisabled()).toBe(true);

    // The badge and the actions fit the drawer: nothing scrolls sideways.
    const drawerBox = (await drawer().boundingBox())!;
    const buttonBox = (await moreActions(older).boundingBox())!;
    expect(buttonBox.x + buttonBox.width).toBeLessThanOrEqual(drawerBox.x + drawerBox.width);
    const sideways = await pointsTable().evaluate((el) => {
      const scroller = el.parentElement!;
      return scroller.scrollWidth - scroller.clientWidth;
    });
    expect(sideways).toBe(0);
    await shot('03-protected');
  });

  it('the engine refuses to delete the protected point', async () => {
    const older = points[1]!;
    const refused = await answer('points.delete', { ids: [older.id] });
    expect(refused.ok).toBe(false);
    expect(refused.error?.message).toContain('protected');
    expect((await listPoints()).map((p) => p.id)).toEqual(points.map((p) => p.id));
  });

  it('retention after a backup removes the unprotected point and keeps the protected one', async () => {
    const [middle, older] = points as [RestorePoint, RestorePoint];
    await cli(
      'subclient',
      'edit',
      'web',
      ...SET,
      ...['--keep-last', '1', '--keep-daily', '0', '--keep-weekly', '0'],
      ...['--keep-monthly', '0', '--keep-yearly', '0'],
    );
    await backUpNowFromDrawer(page, drawer());
    const backup = drawer().getByRole('status', { name: `Job Backup of ${VM}` });
    await expect
      .poll(async () => (await backup.textContent()) ?? '', { timeout: 90_000 })
      .toContain('older restore points it no longer keeps');
    expect(await backup.textContent()).toContain('Succeeded');
    // Where the backup was started, it says why a point is about to go.
    expect(await backup.textContent()).toContain(
      'older restore points it no longer keeps are removed by a prune job',
    );

    // The prune the backup started removes the middle point, not the protected older one.
    const retentionJobs = (await engine('job.list', {})).flatMap((job) =>
      job.kind === 'backup'
        ? ((job.result as BackupJobResult | undefined)?.retentionJobs ?? [])
        : [],
    );
    expect(retentionJobs).toHaveLength(1);
    const pruneId = retentionJobs[0]!;
    let prune: Job | undefined;
    await expect
      .poll(
        async () => {
          prune = await engine('job.get', { id: pruneId });
          return prune.status;
        },
        { timeout: 60_000 },
      )
      .toBe('succeeded');
    const result = prune!.result as PruneJobResult;
    expect(result.removed?.map((p) => p.id)).toEqual([middle.id]);
    expect(result.kept).toContainEqual(
      expect.objectContaining({ id: older.id, reason: `protected (${REASON})` }),
    );

    const left = await listPoints();
    expect(left.map((p) => p.id)).toEqual([left[0]!.id, older.id]);
    expect(left[0]!.id).not.toBe(middle.id);
    // The drawer follows without a reload.
    await expect.poll(() => pointRows().count()).toBe(2);
    expect(await moreActions(middle).count()).toBe(0);
    await protectedBadge(older).waitFor();
    await shot('04-after-retention');
  });

  it('lifts the protection from the keyboard; the point can then be deleted', async () => {
    const older = points[1]!;
    // The backup started here ended: opened again, the drawer does not keep it above the points.
    expect(await drawer().getByRole('status', { name: /^Job / }).count()).toBe(1);
    await drawer().getByRole('button', { name: 'Close details' }).click();
    await page
      .getByRole('grid', { name: 'Virtual machines' })
      .getByRole('row', { name: new RegExp(VM) })
      .click();
    await pointRows().nth(1).waitFor();
    expect(await drawer().getByRole('status', { name: /^Job / }).count()).toBe(0);
    await openMenu(older);
    const lift = menuItem(/^Lift protection…/);
    await expect.poll(() => isFocused(lift)).toBe(true);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Unprotect restore point of ${VM}?` });
    const cancel = dialog.getByRole('button', { name: 'Cancel' });
    await expect.poll(() => isFocused(cancel)).toBe(true);
    const text = (await dialog.textContent()) ?? '';
    expect(text).toContain('removed at the next backup or prune');
    expect(text).toContain(REASON);
    await dialogOpened(dialog);
    await shot('05-lift');
    await page.keyboard.press('Tab');
    expect(await isFocused(dialog.getByRole('button', { name: 'Lift protection' }))).toBe(true);
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });

    await expect.poll(() => isFocused(moreActions(older))).toBe(true);
    expect(await protectedBadge(older).count()).toBe(0);
    expect((await listPoints()).find((p) => p.id === older.id)?.protection).toBeUndefined();
    expect(await rowOf(older).getByRole('checkbox').isDisabled()).toBe(false);

    await moreActions(older).click();
    await menuItem(/^Protect restore point…/).waitFor();
    await menuItem(/^Delete restore point…/).click();
    const confirm = page.getByRole('dialog', { name: `Delete restore point of ${VM}?` });
    await confirm.getByRole('button', { name: 'Delete restore point' }).click();
    await confirm.waitFor({ state: 'detached' });
    const status = drawer().getByRole('status', {
      name: `Job Delete restore point ${localTime(older.time)} of ${VM} from default`,
    });
    await expect
      .poll(async () => (await status.textContent()) ?? '', { timeout: 60_000 })
      .toMatch(FINAL_STATUS);
    expect(await status.textContent()).toContain('Succeeded');
    await expect.poll(() => pointRows().count()).toBe(1);
    expect((await listPoints()).map((p) => p.id)).not.toContain(older.id);
  });

  it('raised no uncaught error and logged no error in the browser', () => {
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Job } from '../../shared/domain/jobs';
import { launchChromium, navigateTo, saveShot } from '../harness/browser';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * The job controller, the Storage page and "Back up now" (patent 000 FIG. 10/12) against the
 * real `hyperkeep serve`, a repository in a temp folder and the lab's libvirt host, in Chromium.
 * HYPERKEEP_E2E_SHOTS=<dir> also saves screenshots of the pages there.
 */
const lab = inject('lab');
const FINAL_STATUS = /Succeeded|Partially succeeded|Failed|Cancelled/;
const STATUS_TEXT: Record<Job['status'], string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  partial: 'Partially succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
const PASSPHRASE = 'correct horse battery staple 42';
// The field, not "Confirm passphrase" nor the "Passphrase strength" meter.
const PASSPHRASE_LABEL = /^Passphrase[\s*]*$/;

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

const shot = (name: string): Promise<void> => saveShot(page, name);

const openPage = (label: string): Promise<void> => navigateTo(page, label);

/** What the engine itself says about a job, asked with the page's session (same origin). */
async function engineJobs(): Promise<Job[]> {
  return page.evaluate(async () => {
    const response = await fetch('api/invoke/job.list', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const body = (await response.json()) as { ok: boolean; value: Job[] };
    return body.value;
  });
}

async function engineRepositoryPoints(): Promise<number> {
  return page.evaluate(async () => {
    const response = await fetch('api/invoke/repo.info', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const body = (await response.json()) as { value: { points: number } };
    return body.value.points;
  });
}

async function waitForFinalStatus(scope: Locator, timeout: number): Promise<string> {
  await expect
    .poll(async () => (await scope.textContent()) ?? '', { timeout })
    .toMatch(FINAL_STATUS);
  return (await scope.textContent()) ?? '';
}

/**
 * Opens lab-web-01's drawer from the VM grid and runs "Back up now" there; returns the drawer
 * and the job's inline status once the job has ended, with its final text.
 */
async function backUpWebFromDrawer(): Promise<{ drawer: Locator; status: Locator; text: string }> {
  await page
    .getByRole('grid', { name: 'Virtual machines' })
    .getByRole('row', { name: /lab-web-01/ })
    .click();
  const drawer = page.getByRole('region', { name: 'Details of lab-web-01' });
  // From the keyboard: the button disables while the backup runs, and the focus goes to the
  // new job's status instead of falling back to the drawer (review P15).
  await drawer.getByRole('button', { name: 'Back up now' }).press('Enter');
  const status = drawer.getByRole('status', { name: 'Job Backup of lab-web-01' });
  await expect
    .poll(() =>
      page.evaluate(() =>
        document.activeElement?.closest('[role="status"]')?.getAttribute('aria-label'),
      ),
    )
    .toBe('Job Backup of lab-web-01');
  return { drawer, status, text: await waitForFinalStatus(status, 90_000) };
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-jobs-'));
  serve = await startServe();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  await page.goto(`${serve.url}#/storage`);
  await page.getByRole('heading', { level: 1, name: 'Storage' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Storage, jobs and restore points', () => {
  const repoDir = () => join(scratch, 'repository');

  it('creates an encrypted repository through the dialog, refusing a non-empty folder first', async () => {
    await page.getByText('No repository yet').waitFor();
    const occupied = join(scratch, 'occupied');
    mkdirSync(occupied);
    writeFileSync(join(occupied, 'notes.txt'), 'not a repository\n');

    await page.getByRole('button', { name: 'Create repository' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create repository' });
    expect(await dialog.getByLabel('Name').inputValue()).toBe('default');
    await expect.poll(() => dialog.getByLabel('Encrypt the repository').isChecked()).toBe(true);
    await dialog.getByLabel('Folder').fill(occupied);
    await dialog.getByLabel(PASSPHRASE_LABEL).fill('abc');
    await dialog.getByText(/^Weak:/).waitFor();
    await dialog.getByLabel(PASSPHRASE_LABEL).fill(PASSPHRASE);
    await dialog.getByText(/^(Good|Strong):/).waitFor();
    await dialog.getByLabel('Confirm passphrase').fill(`${PASSPHRASE}!`);
    await dialog
      .getByText('If it is lost, the backups cannot be restored', { exact: false })
      .waitFor();
    await dialog.getByRole('button', { name: 'Create repository' }).click();
    await dialog.getByText('The two passphrases differ').waitFor();

    await dialog.getByLabel('Confirm passphrase').fill(PASSPHRASE);
    await shot('01-create-repository');
    await dialog.getByRole('button', { name: 'Create repository' }).click();
    // The engine's refusal lands under the field it is about.
    await dialog.getByText(`${occupied} is not empty`, { exact: false }).waitFor();
    expect(existsSync(join(occupied, 'config'))).toBe(false);

    await dialog.getByLabel('Folder').fill(repoDir());
    // Fast is the default; an administrator who would rather pay CPU than storage picks another.
    expect(await dialog.getByLabel('Compression').textContent()).toContain('Fast (zstd 1)');
    await dialog.getByLabel('Compression').click();
    await page.getByRole('option', { name: /^Balanced \(zstd 3\)/ }).click();
    await dialog.getByRole('button', { name: 'Create repository' }).click();
    await dialog.waitFor({ state: 'detached' });
    const config = JSON.parse(readFileSync(join(repoDir(), 'config'), 'utf8')) as {
      compression: { level: number };
    };
    expect(config.compression.level).toBe(3);
    const row = page
      .getByRole('table', { name: 'Repositories' })
      .getByRole('row', { name: /default/ });
    await row.getByText('Encrypted').waitFor();
    expect(await row.textContent()).toContain(repoDir());
    expect(existsSync(join(repoDir(), 'config'))).toBe(true);
    await page.getByRole('img', { name: /default: no backup data yet/ }).waitFor();

    // The toast sits over the top bar, clear of page and dialog actions, and belongs to its
    // page: it does not follow the user to the Jobs page (review P7).
    const toast = page.getByRole('alert').filter({ hasText: 'Repository default created' });
    await toast.waitFor();
    // Polled: the toast grows in, and its box moves until the transition ends. Anchored at the
    // top, it can wrap to two lines without reaching anything a dialog or page acts with.
    await expect
      .poll(async () => (await toast.boundingBox())?.y ?? Infinity)
      .toBeLessThanOrEqual(16);
    await openPage('Jobs');
    await toast.waitFor({ state: 'detached', timeout: 1500 });
    await openPage('Storage');
  });

  it('verifies the repository: the job shows up on the Jobs page, succeeds, and has a log', async () => {
    await page.getByRole('button', { name: 'Verify default', exact: true }).click();
    const inline = page.getByRole('status', { name: 'Job Verify default' });
    await waitForFinalStatus(inline, 30_000);
    expect(await inline.textContent()).toContain('Succeeded');
    await shot('02-storage-after-verify');
    await inline.getByRole('button', { name: 'Open in Jobs' }).click();
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    // The keyboard starts at the job's details, one Tab from "View log" (review P15).
    const focused = () =>
      page.evaluate(
        () => `${document.activeElement?.tagName} ${document.activeElement?.textContent}`,
      );
    await expect.poll(focused).toBe('H2 Verify default');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('BUTTON View log');

    const grid = page.getByRole('grid', { name: 'Jobs' });
    const row = grid.getByRole('row', { name: /Verify default/ });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Verify.*Succeeded/);
    const details = page.getByRole('region', { name: 'Job details: Verify default' });
    await details.getByRole('table', { name: 'Tasks' }).getByText('repository default').waitFor();
    const result = (await details.getByRole('table', { name: 'Result' }).textContent()) ?? '';
    expect(result).toContain('Repository intact');
    await shot('03-jobs-verify');

    await details.getByRole('button', { name: 'View log' }).click();
    const log = page.getByRole('dialog', { name: 'Log of “Verify default”' });
    const text = log.getByLabel('Job log');
    await expect.poll(async () => (await text.textContent()) ?? '').toContain('Job succeeded');
    expect(await text.textContent()).toContain('Job started: Verify default');
    await shot('04-job-log');
    await log.getByRole('button', { name: 'Close' }).click();
    await log.waitFor({ state: 'detached' });
  });

  it('"Back up now" on lab-archive-01 ends in a final state the console explains', async () => {
    const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
    const added = await runCli([
      '--home',
      serve.home,
      'hypervisor',
      'add',
      '--name',
      host.name,
      '--uri',
      host.uri,
    ]);
    expect(added.code, added.stderr).toBe(0);

    await openPage('Virtual machines');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page
      .getByRole('grid', { name: 'Virtual machines' })
      .getByRole('row', { name: /lab-archive-01/ })
      .click();
    const drawer = page.getByRole('region', { name: 'Details of lab-archive-01' });
    await drawer.getByText('No restore point. “Back up now” makes one (a full backup).').waitFor();
    // No OS is known before a backup looked inside: say so, not libvirt's "hvm" (review M6).
    const osRow = drawer.getByRole('row', { name: /^Operating system/ });
    expect(await osRow.textContent()).toBe('Operating systemUnknown (detected by a backup)');
    await drawer.getByRole('button', { name: 'Back up now' }).click();

    const inline = drawer.getByRole('status', { name: 'Job Backup of lab-archive-01' });
    const final = await waitForFinalStatus(inline, 110_000);
    await shot('05-vm-backup-ended');
    const engineJob = (await engineJobs()).find((j) => j.title === 'Backup of lab-archive-01');
    expect(engineJob, 'the engine lists the backup job').toBeDefined();
    const { status } = engineJob!;
    expect(final).toContain(STATUS_TEXT[status]);
    const backupSucceeded = status === 'succeeded';

    if (backupSucceeded) {
      // The new point appears in the drawer without a reload (points.changed).
      const points = drawer.getByRole('table', { name: 'Restore points of lab-archive-01' });
      await points.getByText('Full', { exact: true }).waitFor();
    } else {
      // The job's own reason, word for word, where the administrator started it.
      const reason =
        engineJob!.error?.message ?? engineJob!.tasks.find((t) => t.status === 'failed')?.message;
      expect(reason, 'a job that did not succeed carries a reason').toBeTruthy();
      expect(final).toContain(reason!);
    }

    await inline.getByRole('button', { name: 'Open in Jobs' }).click();
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    const details = page.getByRole('region', { name: 'Job details: Backup of lab-archive-01' });
    const task = details
      .getByRole('table', { name: 'Tasks' })
      .getByRole('row', { name: /lab-archive-01/ });
    await task.waitFor();
    expect(await task.textContent()).toContain(STATUS_TEXT[status]);
    if (!backupSucceeded) {
      const alert = details.getByRole('alert').filter({ hasText: 'The job failed' });
      await alert.waitFor();
      const reason = engineJob!.error?.message ?? engineJob!.tasks[0]?.message ?? '';
      expect(reason.length).toBeGreaterThan(10);
      expect(await alert.textContent()).toContain(reason);
    }
    await shot('06-jobs-backup');
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await shot('07-jobs-dark');
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
  });

  it('backs up a running VM (lab-web-01) and restores its disk to a raw image file', async () => {
    // The drawer of the previous test comes back with the page (modal: the page behind it is
    // hidden from the accessibility tree until it closes).
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Virtual machines' })
      .click();
    const archive = page.getByRole('region', { name: 'Details of lab-archive-01' });
    await archive.waitFor();
    await page.keyboard.press('Escape');
    await archive.waitFor({ state: 'detached' });
    const { drawer, text } = await backUpWebFromDrawer();
    expect(text).toContain('Succeeded');
    // The point appears without a reload (points.changed), its time in local form.
    const points = drawer.getByRole('table', { name: 'Restore points of lab-web-01' });
    await points.getByText('Full', { exact: true }).waitFor();
    // The table fits the drawer: no sideways scrolling, its actions in view (review P12).
    const restoreButton = drawer
      .getByRole('button', { name: /^Restore a disk from the point of/ })
      .first();
    const drawerBox = (await drawer.boundingBox())!;
    const buttonBox = (await restoreButton.boundingBox())!;
    expect(buttonBox.x + buttonBox.width).toBeLessThanOrEqual(drawerBox.x + drawerBox.width);
    const sideways = await drawer.evaluate((el) => {
      const paper = el.closest('.MuiDrawer-paper') ?? el;
      return paper.scrollWidth - paper.clientWidth;
    });
    expect(sideways).toBe(0);

    await drawer
      .getByRole('button', { name: /^Restore a disk from the point of/ })
      .first()
      .click();
    const dialog = page.getByRole('dialog', { name: 'Restore a disk of lab-web-01' });
    const dest = join(scratch, 'web-vda.raw');
    await dialog.getByLabel('Destination file').fill(dest);
    await shot('08-restore-disk');
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await dialog.waitFor({ state: 'detached' });
    const restore = drawer.getByRole('status', { name: /^Job Restore lab-web-01 vda/ });
    expect(await waitForFinalStatus(restore, 60_000)).toContain('Succeeded');
    // The point's time in the title is local like every other time, not ISO UTC (review P6).
    expect(await restore.getAttribute('aria-label')).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
    expect(await restore.textContent()).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
    await shot('09-restore-done');

    // The image is the whole disk, and the guest's ext4 file system is where the lab put it.
    const disk = lab.vms.find((v) => v.name === 'lab-web-01')!.disks[0]!;
    expect(statSync(dest).size).toBe(disk.capacityBytes);
    const ext4 = disk.partitions!.find((p) => p.filesystem === 'ext4')!;
    const superblock = Buffer.alloc(2);
    const fd = openSync(dest, 'r');
    readSync(fd, superblock, 0, 2, ext4.offsetBytes + 1024 + 56);
    closeSync(fd);
    expect(superblock.readUInt16LE(0)).toBe(0xef53);

    // Restoring again to the same file is refused unless "Overwrite" is ticked.
    await drawer
      .getByRole('button', { name: /^Restore a disk from the point of/ })
      .first()
      .click();
    await dialog.getByLabel('Destination file').fill(dest);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await dialog.getByText(`${dest} already exists`).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });

    // The Storage page now accounts for the backed-up data.
    await openPage('Storage');
    const usage = page.getByRole('img', { name: /^default: protected data .* stored / });
    await usage.waitFor();
    const pointCount = await engineRepositoryPoints();
    expect(pointCount).toBeGreaterThanOrEqual(1);
    const row = page
      .getByRole('table', { name: 'Repositories' })
      .getByRole('row', { name: /default/ });
    expect(await row.getByRole('cell').nth(3).textContent()).toBe(String(pointCount));
    // …and draws how its current points add up, one step per point, summarized for screen
    // readers, without claiming to be the repository's usage over time (review M10).
    const growth = page
      .getByRole('figure', { name: 'Data of the current restore points, by when they were taken' })
      .getByRole('img', { name: /^Current restore points of default: / });
    await growth.waitFor();
    expect(await growth.getAttribute('aria-label')).toMatch(
      new RegExp(
        `^Current restore points of default: ${pointCount} restore points? taken from .+ to .+; ` +
          'together they protect \\d[\\d.]* [KMGT]?i?B and store \\d[\\d.]* [KMGT]?i?B$',
      ),
    );
    await shot('10-storage-with-data');
  });

  it('a prune dry run keeps the points of VMs no subclient covers, and says so', async () => {
    // No backup set exists yet: no subclient sets the retention of the VMs backed up above.
    await page.getByRole('button', { name: 'Prune default' }).click();
    const dialog = page.getByRole('dialog', { name: 'Prune default?' });
    await dialog.getByRole('button', { name: 'Dry run' }).click();
    await dialog.waitFor({ state: 'detached' });
    const inline = page.getByRole('status', { name: 'Job Prune default (dry run)' });
    expect(await waitForFinalStatus(inline, 30_000)).toContain('Succeeded');
    const pointCount = await engineRepositoryPoints();
    await inline.getByText(`Would remove nothing, keep ${pointCount}.`).waitFor();
    const warnings = (await inline.getByRole('list', { name: 'Warnings' }).textContent()) ?? '';
    expect(warnings).toContain('lab-web-01: no subclient on this console sets its retention');
    expect(await inline.textContent()).not.toContain('0 B');
    await shot('10b-prune-dry-run');

    await inline.getByRole('button', { name: 'Open in Jobs' }).click();
    const details = page.getByRole('region', { name: 'Job details: Prune default (dry run)' });
    await details.getByRole('heading', { name: 'Restore points' }).waitFor();
    expect(await details.textContent()).not.toContain('ended before any task started');
    await openPage('Storage');
  });

  it('"Back up now" on a subclient discovers its VMs and backs them up, followed on the Jobs page', async () => {
    const cli = (...args: string[]) => runCli(['--home', serve.home, ...args]);
    expect((await cli('backupset', 'create', 'e2e-set', '--hypervisor', 'lab-host-1')).code).toBe(
      0,
    );
    const sub = await cli(
      'subclient',
      'create',
      'web',
      '--backupset',
      'e2e-set',
      '--rule',
      'name~^lab-web',
      // A pre-process command that takes its time: the job is still running when Cancel is asked.
      '--pre',
      'sleep 4',
      // And a post-process command that fails: the backups succeed with a warning.
      '--post',
      'echo "e2e post step failed" >&2; exit 3',
    );
    expect(sub.code).toBe(0);
    const before = (await engineJobs()).length;
    await openPage('Backup sets');
    await page.getByRole('button', { name: 'Properties of e2e-set' }).click();
    const props = page.getByRole('dialog', { name: 'Backup set properties of e2e-set' });
    await props.getByRole('tab', { name: 'Subclients' }).click();
    await props.getByRole('button', { name: 'Back up web now' }).click();
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    const details = page.getByRole('region', { name: 'Job details: Backup of e2e-set / web' });
    await details.waitFor();
    // Cancel asked, then the job ends before an answer: the question turns into what happened
    // instead of offering to cancel a job that is over (review P8).
    // While lab-web-01 runs its pre-process command its size is not known: no percentage (M8).
    await details.getByText('lab-web-01 starting — total not known yet').waitFor();
    await details.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('dialog', { name: 'Cancel “Backup of e2e-set / web”?' }).waitFor();
    const ended = page.getByRole('dialog', { name: '“Backup of e2e-set / web” has ended' });
    await ended.waitFor({ timeout: 60_000 });
    expect(await ended.textContent()).toContain('Succeeded');
    expect(await ended.getByRole('button', { name: 'Keep running' }).count()).toBe(0);
    await ended.getByRole('button', { name: 'Close' }).click();
    await ended.waitFor({ state: 'detached' });
    await expect
      .poll(async () => (await details.textContent()) ?? '', { timeout: 60_000 })
      .toMatch(/Succeeded/);
    await details.getByRole('table', { name: 'Tasks' }).getByText('lab-web-01').waitFor();
    const jobs = await engineJobs();
    expect(jobs.length).toBe(before + 1);
    expect(jobs.find((j) => j.title === 'Backup of e2e-set / web')).toMatchObject({
      status: 'succeeded',
      tasks: [{ label: 'lab-web-01', status: 'succeeded' }],
    });
    await shot('11-subclient-backup');
  });

  it('a backup that succeeded with warnings lists them where it was started (review M7)', async () => {
    await openPage('Virtual machines');
    // Started from the drawer with the settings of subclient "web": its post command fails.
    const { drawer, status: inline, text } = await backUpWebFromDrawer();
    expect(text).toContain('Succeeded');
    const engineJob = (await engineJobs()).find((j) => j.title === 'Backup of lab-web-01')!;
    expect(engineJob.status).toBe('succeeded');
    expect(engineJob.warnings.length).toBeGreaterThan(0);
    const warnings = inline.getByRole('list', { name: 'Warnings' });
    for (const warning of engineJob.warnings.slice(0, 3))
      expect(await warnings.textContent()).toContain(warning);
    await shot('12-backup-with-warnings');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  });

  it('raised no uncaught error and logged no error in the browser', () => {
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

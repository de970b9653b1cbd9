import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openConsole } from '../harness/browser';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * The Storage page as an administrator meets it (UI review B1, P1, P13 and removal): a relative
 * folder is refused, the Create dialog keeps its button in view, an empty repository has no
 * ratios, and a repository can be removed from the console and attached again, in the UI and
 * the CLI. Runs against the real `hyperkeep serve` in Chromium.
 */
const lab = inject('lab');
const VIEWPORT = { width: 1400, height: 900 };

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
let pageErrors: string[] = [];

const cli = (...args: string[]) => runCli(['--home', serve.home, ...args]);
const repositoriesTable = () => page.getByRole('table', { name: 'Repositories' });
const repositoryRow = (name: string) =>
  repositoriesTable().getByRole('row', { name: new RegExp(`^${name}\\b`) });

/** Remove sits in the row's "More actions" menu. */
async function removeFromConsole(name: string): Promise<void> {
  await page.getByRole('button', { name: `More actions for ${name}` }).click();
  await page.getByRole('menuitem', { name: /^Remove from this console/ }).click();
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-storage-'));
  serve = await startServe();
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/storage`, 'Storage', VIEWPORT));
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Storage page', () => {
  it('keeps the Create button in view on a short screen: the fields scroll, not the dialog', async () => {
    // Shorter than the encrypted form, so something has to scroll.
    await page.setViewportSize({ width: 1400, height: 640 });
    try {
      await page.getByRole('button', { name: 'Create repository' }).click();
      const dialog = page.getByRole('dialog', { name: 'Create repository' });
      await dialog.getByText('Keep this passphrase safe').waitFor();
      const submit = dialog.getByRole('button', { name: 'Create repository' });
      const box = (await submit.boundingBox())!;
      expect(box.y + box.height).toBeLessThanOrEqual(640);
      const scrolling = await dialog.evaluate((paper) => {
        const content = paper.querySelector('.MuiDialogContent-root')!;
        return {
          paper: paper.scrollHeight > paper.clientHeight,
          content: content.scrollHeight > content.clientHeight,
        };
      });
      expect(scrolling).toEqual({ paper: false, content: true });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
    } finally {
      await page.setViewportSize(VIEWPORT);
    }
  });

  it('refuses a relative folder next to the field; an empty repository shows no ratios', async () => {
    await page.getByRole('button', { name: 'Create repository' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create repository' });
    await dialog.getByLabel('Folder').fill('relative/repo');
    await dialog.getByLabel('Encrypt the repository').uncheck();
    await dialog.getByRole('button', { name: 'Create repository' }).click();
    await dialog.getByText('Enter a full path, such as /srv/backups/hyperkeep').waitFor();
    expect(existsSync(resolve('relative'))).toBe(false);

    await dialog.getByLabel('Folder').fill(join(scratch, 'repo'));
    await dialog.getByRole('button', { name: 'Create repository' }).click();
    await dialog.waitFor({ state: 'detached' });
    const cells = repositoryRow('default').getByRole('cell');
    await expect.poll(() => cells.count()).toBe(9);
    // Name, Location, Encryption, Points, Protected data, Stored, Dedup, Compression, Actions
    expect(await cells.nth(6).textContent()).toBe('—');
    expect(await cells.nth(7).textContent()).toBe('—');
  });

  it('Remove asks first, is refused while a backup set stores into it, and keeps the data', async () => {
    const host = lab.hosts[0]!;
    expect((await cli('hypervisor', 'add', '--name', host.name, '--uri', host.uri)).code).toBe(0);
    expect((await cli('backupset', 'create', 'nightly', '--hypervisor', host.name)).code).toBe(0);
    const location = join(scratch, 'repo');
    const filesBefore = readdirSync(location, { recursive: true }).sort();

    await removeFromConsole('default');
    const confirm = page.getByRole('dialog', { name: 'Remove default from this console?' });
    await confirm
      .getByText(`Nothing is deleted: the data stays on disk in ${location}`, { exact: false })
      .waitFor();
    await confirm.getByRole('button', { name: 'Remove' }).click();
    await confirm
      .getByText(/Repository "default" is the target of subclient .* of backup set "nightly"/)
      .waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    await repositoryRow('default').waitFor();

    expect((await cli('backupset', 'delete', 'nightly')).code).toBe(0);
    await removeFromConsole('default');
    await confirm.getByRole('button', { name: 'Remove' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByText('No repository yet').waitFor();
    expect(readdirSync(location, { recursive: true }).sort()).toEqual(filesBefore);

    await page.getByRole('button', { name: 'Attach existing' }).click();
    const attach = page.getByRole('dialog', { name: 'Attach existing repository' });
    await attach.getByLabel('Folder').fill(location);
    await attach.getByRole('button', { name: 'Attach existing repository' }).click();
    await attach.waitFor({ state: 'detached' });
    expect(await repositoryRow('default').textContent()).toContain(location);
    expect(pageErrors).toEqual([]);
  });

  it('Prune says that a VM no subclient covers keeps its points', async () => {
    await page.getByRole('button', { name: 'Prune default' }).click();
    const prune = page.getByRole('dialog', { name: 'Prune default?' });
    await prune
      .getByText('A virtual machine that no subclient on this console covers keeps all its points')
      .waitFor();
    await prune
      .getByText('Retention also runs by itself after every backup of a subclient')
      .waitFor();
    await prune.getByRole('button', { name: 'Cancel' }).click();
    await prune.waitFor({ state: 'detached' });
  });

  it('two verifies in a row: the newest in full, the first as one line under it (review P12)', async () => {
    const verify = page.getByRole('button', { name: 'Verify default', exact: true });
    const full = page.getByRole('status', { name: 'Job Verify default' });
    const line = page.getByRole('listitem', { name: 'Finished job Verify default' });
    for (let run = 1; run <= 2; run++) {
      await verify.click();
      await expect.poll(async () => (await full.count()) + (await line.count())).toBe(run);
      await expect
        .poll(async () => (await full.allTextContents()).join(' '), { timeout: 30_000 })
        .not.toMatch(/Running|Queued/);
    }
    expect(await full.count()).toBe(1);
    expect(await line.count()).toBe(1);
    await line.getByRole('button', { name: 'Dismiss Verify default' }).click();
    await line.waitFor({ state: 'detached' });
    expect(await full.count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});

describe('hyperkeep repo (CLI)', () => {
  it('takes a relative folder as the shell means it: under the current folder', async () => {
    const result = await runCli(
      ['--home', serve.home, 'repo', 'init', '--path', 'relative/repo', '--name', 'typo'].concat(
        '--no-encrypt',
      ),
      {},
      { cwd: scratch },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Repository typo at ${join(scratch, 'relative', 'repo')} `);
    expect(existsSync(join(scratch, 'relative', 'repo', 'config'))).toBe(true);
    expect((await cli('repo', 'remove', 'typo')).code).toBe(0);
  });

  it('repo remove NAME unregisters it, says where the data stays, and attach brings it back', async () => {
    const location = join(scratch, 'cli-repo');
    expect(
      (await cli('repo', 'init', '--path', location, '--name', 'offsite', '--no-encrypt')).code,
    ).toBe(0);
    const removed = await cli('repo', 'remove', 'offsite', '--json');
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ name: 'offsite', location, points: 0 });
    const list = JSON.parse((await cli('--json', 'repo', 'list')).stdout) as { name: string }[];
    expect(list.map((r) => r.name)).toEqual(['default']);
    expect(existsSync(join(location, 'config'))).toBe(true);

    const again = await cli('repo', 'remove', 'offsite');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('No repository named "offsite"');

    expect((await cli('repo', 'attach', '--path', location, '--name', 'offsite')).code).toBe(0);
    const human = await cli('repo', 'remove', 'offsite');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(
      `Repository offsite removed from this console. Its 0 restore points are still in ${location}: attach it again to use them.`,
    );
  });
});

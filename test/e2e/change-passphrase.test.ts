import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConsole } from '../harness/browser';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * Storage → an encrypted repository's "Change passphrase…": the keys are re-wrapped under a new
 * passphrase, proven with the CLI (the old passphrase no longer attaches the repository, the new
 * one does, and this console still opens it after a restart). A mismatched repeat and a wrong
 * current passphrase are refused in the dialog. Real `hyperkeep serve` in Chromium, by keyboard.
 */
const OLD = 'old-correct-horse-battery';
const NEW = 'new-lantern-staple-orbit-42';

let serve: RunningServe;
let browser: Browser;
let page: Page;
let pageErrors: string[] = [];
let scratch: string;
let home: string;
/** Bodies of the API's answers and event frames the page received, to look for a passphrase. */
const received: string[] = [];
const pendingBodies: Promise<void>[] = [];
let changeRequests = 0;

const vaultDir = () => join(scratch, 'vault');
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(['--home', home, '--json', ...args], env);
/** The CLI as another console would run it: its own data home, no `serve`. */
const otherConsole = (name: string, args: string[], env: NodeJS.ProcessEnv) => {
  const otherHome = join(scratch, name);
  mkdirSync(otherHome, { recursive: true });
  return runCli(['--home', otherHome, '--json', ...args], env);
};
const dialog = () => page.getByRole('dialog', { name: 'Change passphrase of vault' });
// Password inputs have no ARIA role: found by their labels ("New" is also in "Repeat new").
const currentField = () => dialog().getByLabel(/^Current passphrase/);
const newField = () => dialog().getByLabel(/^New passphrase/);
const repeatField = () => dialog().getByLabel(/^Repeat new passphrase/);
const isFocused = (locator: ReturnType<Page['getByLabel']>) =>
  locator.evaluate((element) => element === document.activeElement);

/** Opens a row's "More actions" menu with the keyboard, as someone tabbing through would. */
async function openMoreActions(repository: string): Promise<void> {
  await page.getByRole('button', { name: `More actions for ${repository}` }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('menu').waitFor();
}

async function closeMenu(): Promise<void> {
  await page.keyboard.press('Escape');
  await page.getByRole('menu').waitFor({ state: 'detached' });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-passphrase-'));
  // A home of the test's own, so serve can be restarted on it at the end.
  home = join(scratch, 'home');
  mkdirSync(home);
  serve = await startServe({ home });
  const vault = await cli(['repo', 'init', '--name', 'vault', '--path', vaultDir()], {
    HYPERKEEP_PASSPHRASE: OLD,
  });
  expect(vault.code, vault.stderr).toBe(0);
  const plain = await cli([
    'repo',
    'init',
    '--name',
    'plain',
    '--path',
    join(scratch, 'plain'),
    '--no-encrypt',
  ]);
  expect(plain.code, plain.stderr).toBe(0);
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/storage`, 'Storage'));
  page.on('request', (request) => {
    if (request.url().includes('/api/invoke/repo.changePassphrase')) changeRequests++;
  });
  page.on('response', (response) => {
    if (response.url().includes('/api/invoke/'))
      pendingBodies.push(
        response.text().then(
          (body) => void received.push(body),
          () => undefined,
        ),
      );
  });
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => received.push(String(payload))),
  );
  // Again, now that the page's answers and its event stream are watched from the start.
  await page.reload();
  await page.getByRole('row', { name: /^vault\b/ }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Change passphrase', () => {
  it('is offered for an encrypted repository only', async () => {
    await openMoreActions('plain');
    await page.getByRole('menuitem', { name: /^Verification schedule…/ }).waitFor();
    expect(await page.getByRole('menuitem', { name: /^Change passphrase…/ }).count()).toBe(0);
    await closeMenu();

    await openMoreActions('vault');
    const item = page.getByRole('menuitem', { name: /^Change passphrase…/ });
    expect(await item.textContent()).toContain('Re-wrap the keys under a new passphrase');
    // The menu's type-ahead: "c" is the only item starting with C.
    await page.keyboard.press('c');
    await expect.poll(() => item.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await currentField().waitFor();
    expect(await isFocused(currentField())).toBe(true);
    const text = await dialog().textContent();
    expect(text).toContain('the data is not re-encrypted');
    expect(text).toContain('must attach it again with the new passphrase');
    expect(text).toContain('Keep this passphrase safe');
  });

  it('refuses a repeat that does not match, without asking the engine', async () => {
    await page.keyboard.type(OLD);
    await page.keyboard.press('Tab');
    await page.keyboard.type(NEW);
    await page.keyboard.press('Tab');
    await page.keyboard.type(`${NEW}!`);
    expect(await newField().inputValue()).toBe(NEW);
    expect(await repeatField().inputValue()).toBe(`${NEW}!`);
    await page.keyboard.press('Enter');
    await dialog().getByText('The passphrases do not match').waitFor();
    expect(await repeatField().getAttribute('aria-invalid')).toBe('true');
    expect(changeRequests).toBe(0);
  });

  it('shows a wrong current passphrase under its field, and changes nothing', async () => {
    await repeatField().fill(NEW);
    await currentField().fill('not-the-passphrase');
    await page.keyboard.press('Enter');
    const message = 'The current passphrase of repository "vault" is wrong: nothing was changed.';
    await dialog().getByText(message).waitFor();
    expect(await currentField().getAttribute('aria-invalid')).toBe('true');
    const helpId = await currentField().getAttribute('aria-describedby');
    expect(await page.locator(`[id="${helpId}"]`).textContent()).toBe(message);
    expect(await dialog().getByRole('button', { name: 'Change passphrase' }).isEnabled()).toBe(
      true,
    );
    expect(changeRequests).toBe(1);

    // Another console still attaches the repository with the old passphrase.
    const attach = await otherConsole(
      'other-before',
      ['repo', 'attach', '--name', 'vault2', '--path', vaultDir()],
      { HYPERKEEP_PASSPHRASE: OLD },
    );
    expect(attach.code, attach.stderr).toBe(0);
  });

  it('changes it: the dialog closes and says what other consoles must do', async () => {
    await currentField().fill(OLD);
    await page.keyboard.press('Enter');
    await dialog().waitFor({ state: 'detached' });
    const notice = page.getByText(/^Passphrase of repository vault changed\./);
    await notice.waitFor();
    expect(await notice.textContent()).toContain(
      'other consoles that attached vault must attach it again with the new passphrase',
    );
    expect(changeRequests).toBe(2);

    // Neither passphrase is left in the page, nor was either sent back to it.
    await Promise.all(pendingBodies);
    const content = await page.content();
    expect(content).not.toContain(NEW);
    expect(content).not.toContain(OLD);
    expect(received.length).toBeGreaterThan(0);
    expect(received.filter((body) => body.includes(NEW) || body.includes(OLD))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('the old passphrase no longer opens the repository; the new one does', async () => {
    const old = await otherConsole(
      'other-after',
      ['repo', 'attach', '--name', 'vault2', '--path', vaultDir()],
      { HYPERKEEP_PASSPHRASE: OLD },
    );
    expect(old.code).not.toBe(0);
    // With --json the CLI reports its error on stdout, as JSON.
    const refused = JSON.parse(old.stdout) as { error: { code: string; message: string } };
    expect(refused.error.code).toBe('AUTH_FAILED');
    expect(refused.error.message).toMatch(/^Wrong passphrase/);
    const next = await otherConsole(
      'other-after',
      ['repo', 'attach', '--name', 'vault2', '--path', vaultDir()],
      { HYPERKEEP_PASSPHRASE: NEW },
    );
    expect(next.code, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ name: 'vault2', encrypted: true });
  });

  it('this console stored the new passphrase: it opens the repository after a restart', async () => {
    const info = await cli(['repo', 'info', '--name', 'vault']);
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ name: 'vault', encrypted: true });

    // A fresh engine has only the stored passphrase to open it with.
    await serve.stop();
    serve = await startServe({ home });
    const reopened = await cli(['repo', 'info', '--name', 'vault']);
    expect(reopened.code, reopened.stderr).toBe(0);
    expect(JSON.parse(reopened.stdout)).toMatchObject({ name: 'vault', encrypted: true });
  });
});

/**
 * The VM drawer's restore points as e2e tests drive them (delete-points, protect-points): the
 * engine asked with the page's session, the CLI on the serve's home, and locators of the
 * drawer, its points table and each row's More actions.
 */
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Channel, RequestOf, ResponseOf } from '../../shared/contract';
import type { Job, RestorePoint } from '../../shared/domain/jobs';
import { runCli } from './serve';

export interface EngineAnswer<C extends Channel> {
  ok: boolean;
  value?: ResponseOf<C>;
  error?: { code: string; message: string };
}

/** The engine's answer to a call made with the page's session (same origin), refusals included. */
export function engineAnswer<C extends Channel>(
  page: Page,
  channel: C,
  request: RequestOf<C>,
): Promise<EngineAnswer<C>> {
  return page.evaluate(
    async ({ channel, request }) => {
      const response = await fetch(`api/invoke/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      return (await response.json()) as never;
    },
    { channel, request },
  );
}

/** What the engine answers, or the test fails with its refusal. */
export async function engineCall<C extends Channel>(
  page: Page,
  channel: C,
  request: RequestOf<C>,
): Promise<ResponseOf<C>> {
  const body = await engineAnswer(page, channel, request);
  if (!body.ok) throw new Error(`${channel} failed: ${JSON.stringify(body.error)}`);
  return body.value!;
}

/**
 * Clicks "Back up now" in `drawer` and waits, in the engine, until the backup it started (a job
 * not there before the click) has `status`. An earlier backup's panel has the same name and may
 * already say Succeeded, so the drawer's panel alone cannot tell the two apart.
 */
export async function backUpNowFromDrawer(
  page: Page,
  drawer: Locator,
  status: Job['status'] = 'succeeded',
): Promise<void> {
  const backups = async () =>
    (await engineCall(page, 'job.list', {})).filter((job) => job.kind === 'backup');
  const before = new Set((await backups()).map((job) => job.id));
  await drawer.getByRole('button', { name: 'Back up now' }).click();
  await expect
    .poll(
      async () => (await backups()).find((job) => !before.has(job.id))?.status ?? 'not started',
      { timeout: 90_000 },
    )
    .toBe(status);
}

/** `hyperkeep --home HOME ARGS…`; the test fails unless it exits 0. */
export async function cliOn(home: string, ...args: string[]): Promise<string> {
  const result = await runCli(['--home', home, ...args]);
  expect(result.code, `hyperkeep ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/**
 * The set-up the console tests share: an unencrypted repository at `repository`, the lab's
 * lab-host-1 registered, and backup set "lab-set" with subclient "web" over the lab-web VMs,
 * created with `webArgs` too (a pre-command, retention…).
 */
export async function setUpLabWebSubclient(
  home: string,
  repository: string,
  host: { name: string; uri: string },
  webArgs: string[] = [],
): Promise<void> {
  await cliOn(home, 'repo', 'init', '--path', repository, '--no-encrypt');
  await cliOn(home, 'hypervisor', 'add', '--name', host.name, '--uri', host.uri);
  await cliOn(home, 'backupset', 'create', 'lab-set', '--hypervisor', host.name);
  await cliOn(
    home,
    'subclient',
    'create',
    'web',
    '--backupset',
    'lab-set',
    '--rule',
    'name~^lab-web',
    ...webArgs,
  );
}

/** Waits for a dialog's fade-in to end, so its screenshot is not half transparent. */
export async function dialogOpened(dialog: Locator): Promise<void> {
  await expect
    .poll(() =>
      dialog.evaluate((el) => getComputedStyle(el.closest('.MuiDialog-container') ?? el).opacity),
    )
    .toBe('1');
}

export const isFocused = (locator: Locator): Promise<boolean> =>
  locator.evaluate((el) => el === document.activeElement);

/**
 * Locators of VM `vm`'s points table on `page()`, with times written as the console writes them
 * in `zone` (en-US).
 */
export function pointsDrawer(
  page: () => Page,
  vm: string,
  zone: string,
  /** Where the points table is: the VM's drawer, unless another view holds it (a dialog). */
  container?: () => Locator,
) {
  const localTime = (iso: string): string =>
    new Date(iso).toLocaleString('en-US', { timeZone: zone });
  const drawer = (): Locator => page().getByRole('region', { name: `Details of ${vm}` });
  const pointsTable = (): Locator =>
    (container ?? drawer)().getByRole('table', { name: `Restore points of ${vm}` });
  /** The row of each point (a point with a fallback note has a second row, without checkbox). */
  const pointRows = (): Locator =>
    pointsTable()
      .locator('tbody')
      .getByRole('row')
      .filter({ has: page().getByRole('checkbox') });
  /** A row's "More actions" button: protect (or lift the protection) and delete are in its menu. */
  const moreActions = (
    point: RestorePoint,
    scope: Page | Locator = (container ?? drawer)(),
  ): Locator =>
    scope.getByRole('button', { name: `More actions for the point of ${localTime(point.time)}` });
  return { localTime, drawer, pointsTable, pointRows, moreActions };
}

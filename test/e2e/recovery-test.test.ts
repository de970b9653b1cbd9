import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Channel, RequestOf, VmListResult } from '../../shared/contract';
import type { RestorePoint } from '../../shared/domain/jobs';
import { launchChromium, newZonedPage, saveShot } from '../harness/browser';
import { cliOn, dialogOpened, engineCall, isFocused, pointsDrawer } from '../harness/points-drawer';
import { startServe, type RunningServe } from '../harness/serve';

/**
 * A recovery test started from the VM drawer, against the real `hyperkeep serve`, the lab's
 * lab-host-1 and Chromium, from the keyboard: the point of lab-archive-01 is restored as an
 * isolated copy, booted, watched for a few seconds (the lab's VMs have no guest agent, so it
 * must keep running) and removed. The outcome reads in words in the drawer and on the Jobs page,
 * and no copy is left on the host. HYPERKEEP_E2E_SHOTS=<dir> also saves screenshots there.
 */
const lab = inject('lab');
const VM = 'lab-archive-01';
const ZONE = 'Europe/Paris';
const FINAL_STATUS = /Succeeded|Partially succeeded|Failed|Cancelled/;
const WAIT_SECONDS = 6;
const TEST_COPY = new RegExp(`^${VM}-recovery-test-[0-9a-f]{8}$`);
const KEPT_RUNNING =
  /^kept running for (\d+) s \(no guest agent: only its power state was checked\)$/;

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
let point: RestorePoint;
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

const shot = (name: string): Promise<void> => saveShot(page, `recovery-test-${name}`);
const { localTime, drawer, moreActions } = pointsDrawer(() => page, VM, ZONE);
const engine = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  engineCall(page, channel, request);
const cli = (...args: string[]) => cliOn(serve.home, ...args);

/** The names of the VMs lab-host-1 has now, as the CLI lists them live. */
async function vmNamesOnHost(): Promise<string[]> {
  const listed = JSON.parse(await cli('vm', 'list', '--hypervisor', 'lab-host-1', '--json')) as
    VmListResult | VmListResult['vms'];
  return (Array.isArray(listed) ? listed : listed.vms).map((vm) => vm.name);
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-recovery-test-'));
  serve = await startServe();
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  await cli('repo', 'init', '--path', join(scratch, 'repository'), '--no-encrypt');
  await cli('hypervisor', 'add', '--name', host.name, '--uri', host.uri);
  await cli('backup', '--vm', VM, '--wait');
  browser = await launchChromium();
  page = await newZonedPage(browser, ZONE, { width: 1400, height: 900 }, pageErrors, consoleErrors);
  await page.goto(`${serve.url}#/vms`);
  await page.getByRole('heading', { level: 1, name: 'Virtual machines' }).waitFor();
  const points = await engine('points.list', { vm: VM });
  expect(points).toHaveLength(1);
  point = points[0]!;
  await page
    .getByRole('grid', { name: 'Virtual machines' })
    .getByRole('row', { name: new RegExp(VM) })
    .click();
  await moreActions(point).waitFor();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Recovery test from the VM drawer', () => {
  it('boots an isolated copy of the point on lab-host-1, says how it came up, and removes it', async () => {
    expect((await vmNamesOnHost()).filter((name) => TEST_COPY.test(name))).toEqual([]);

    // The point's More actions, from the keyboard: "Test recovery…" follows "Protect".
    await moreActions(point).focus();
    await page.keyboard.press('Enter');
    const item = page.getByRole('menu').getByRole('menuitem', { name: /^Test recovery…/ });
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => isFocused(item)).toBe(true);
    await page.keyboard.press('Enter');

    const dialog = page.getByRole('dialog', { name: `Test recovery of ${VM}` });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(
      'The point is restored as an isolated copy without network cards, started, checked, and removed again. Nothing is left on the host.',
    );
    // The VM's own host is chosen; the pool is left to the engine; the wait starts at 180 s.
    await dialog
      .getByRole('combobox', { name: /Test on host/ })
      .getByText('lab-host-1')
      .waitFor();
    await dialog
      .getByRole('combobox', { name: /Storage pool/ })
      .getByText(/^Default pool/)
      .waitFor();
    const wait = dialog.getByRole('spinbutton', { name: /Wait for the VM to come up/ });
    await expect.poll(() => isFocused(wait)).toBe(true);
    expect(await wait.inputValue()).toBe('180');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type(String(WAIT_SECONDS));
    await dialogOpened(dialog);
    await shot('01-dialog');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    // The focus is back on the row's menu button, as after the menu's other dialogs.
    await expect.poll(() => isFocused(moreActions(point)), { timeout: 5_000 }).toBe(true);

    // Followed in the drawer. While it runs, the copy is on the host, without network cards.
    const title = `Recovery test of ${VM} (${localTime(point.time)}) on lab-host-1`;
    const status = drawer().getByRole('status', { name: `Job ${title}` });
    await status.waitFor();
    await expect
      .poll(
        async () => {
          const { vms } = await engine('vm.list', {});
          return vms.filter((vm) => TEST_COPY.test(vm.name)).map((vm) => vm.nics.length);
        },
        { timeout: 60_000, interval: 500 },
      )
      .toEqual([0]);
    await shot('02-running');
    await expect
      .poll(async () => (await status.textContent()) ?? '', { timeout: 120_000 })
      .toMatch(FINAL_STATUS);
    expect(await status.textContent()).toContain('Succeeded');
    const headline = await status
      .getByText(/^Passed: the copy kept running for \d+ s/)
      .textContent();
    expect(headline).toMatch(
      new RegExp(
        `^Passed: the copy kept running for \\d+ s \\(no guest agent: only its power state was checked\\)\\. ${VM}-recovery-test-[0-9a-f]{8} was removed again\\.$`,
      ),
    );
    await shot('03-passed');

    // On the Jobs page, the result says the same in rows, with the copy's name.
    await status.getByRole('button', { name: 'Open in Jobs' }).click();
    const details = page.getByRole('region', { name: `Job details: ${title}` });
    await details.waitFor();
    const result = details.getByRole('table', { name: 'Result' });
    const cell = (label: string) =>
      result
        .getByRole('row')
        .filter({ has: page.getByRole('rowheader', { name: label }) })
        .getByRole('cell');
    const outcome = (await cell('Outcome').textContent()) ?? '';
    expect(outcome).toMatch(KEPT_RUNNING);
    expect(Number(KEPT_RUNNING.exec(outcome)![1])).toBeGreaterThanOrEqual(WAIT_SECONDS);
    const copy = (await cell('Test copy').textContent()) ?? '';
    expect(copy).toMatch(
      new RegExp(`^${VM}-recovery-test-[0-9a-f]{8} \\(removed after the test\\)$`),
    );
    expect(await cell('Restore point').textContent()).toBe(point.id);
    // The raw keys of the engine's result are not shown as well.
    expect(await result.getByRole('rowheader', { name: 'Heartbeat' }).count()).toBe(0);
    await shot('04-jobs');

    // Nothing is left on the host: the copy is gone, the original is still there.
    const names = await vmNamesOnHost();
    expect(names.filter((name) => TEST_COPY.test(name))).toEqual([]);
    expect(names).toContain(VM);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 240_000);
});

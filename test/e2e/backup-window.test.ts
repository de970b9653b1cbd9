import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openConsole, saveShot } from '../harness/browser';
import { cliOn, isFocused, setUpLabWebSubclient } from '../harness/points-drawer';
import { startServe, type RunningServe } from '../harness/serve';

/**
 * The subclient's backup window on the Activity control tab of its properties, against the real
 * `hyperkeep serve`: off by default, set from the keyboard, said in words in the schedule's time
 * zone, refused when it would close as it opens, and saved as the CLI (and so the engine) sees it.
 * HYPERKEEP_E2E_SHOTS=<dir> also saves screenshots there.
 */
const lab = inject('lab');

let serve: RunningServe;
let browser: Browser;
let page: Page;
let scratch: string;
let pageErrors: string[] = [];

const shot = (name: string): Promise<void> => saveShot(page, `backup-window-${name}`);

function eventually<T>(read: () => Promise<T> | T) {
  return expect.poll(read, { timeout: 15_000, interval: 200 });
}

/** Subclient web's properties, opened from the backup set's Subclients tab. */
async function openWeb(): Promise<Locator> {
  const props = page.getByRole('dialog', { name: 'Backup set properties of lab-set' });
  await props.getByRole('button', { name: 'Properties of web' }).click();
  const web = page.getByRole('dialog', { name: 'Subclient properties of web' });
  await web.waitFor();
  return web;
}

/** The text a field is described by (its helper text, or its error in its place). */
async function descriptionOf(field: Locator): Promise<string> {
  const id = await field.getAttribute('aria-describedby');
  return id === null ? '' : page.locator(`[id="${id}"]`).innerText();
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-window-'));
  serve = await startServe();
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  // Scheduled backups stay off (none may fire during the test); their zone is still the window's.
  await setUpLabWebSubclient(serve.home, join(scratch, 'repository'), host, [
    '--timezone',
    'Europe/Berlin',
  ]);
  ({ browser, page, pageErrors } = await openConsole(`${serve.url}#/backup-sets`, 'Backup sets'));
  await page.getByRole('button', { name: 'Properties of lab-set' }).click();
  const props = page.getByRole('dialog', { name: 'Backup set properties of lab-set' });
  await props.getByRole('tab', { name: 'Subclients' }).click();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Backup window', () => {
  it('is off by default, set from the keyboard, said in words, refused when it opens as it closes, and saved', async () => {
    let web = await openWeb();
    await web.getByRole('tab', { name: 'Activity control' }).click();
    const section = web.getByRole('region', { name: 'Backup window' });
    const enabled = section.getByRole('checkbox', {
      name: 'Run scheduled backups only within a backup window',
    });
    const opens = section.getByRole('textbox', { name: 'Window opens' });
    const closes = section.getByRole('textbox', { name: 'Window closes' });
    // Off by default, its times (the engine's defaults) shown but not editable.
    expect(await enabled.isChecked()).toBe(false);
    expect(await opens.isDisabled()).toBe(true);
    expect(await closes.isDisabled()).toBe(true);
    expect(await opens.inputValue()).toBe('20:00');
    expect(await closes.inputValue()).toBe('06:00');
    await section
      .getByText(
        'Off: scheduled backups start whenever the schedule says and run until they finish.',
      )
      .waitFor();
    await shot('01-off');

    // From the keyboard: Space turns it on, Tab reaches the times; "5:00" reads as 05:00.
    await enabled.focus();
    await page.keyboard.press('Space');
    expect(await enabled.isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    expect(await isFocused(opens)).toBe(true);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('21:30');
    await page.keyboard.press('Tab');
    expect(await isFocused(closes)).toBe(true);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('5:00');
    await page.keyboard.press('Tab');
    expect(await closes.inputValue()).toBe('05:00');
    await section
      .getByText(
        'Scheduled backups start only from 21:30 to 05:00 the next morning (Europe/Berlin); ' +
          'one still running at 05:00 is stopped. Backups started by hand run at any time.',
        { exact: false },
      )
      .waitFor();
    await shot('02-on');

    // Closing as it opens is refused, from another tab too: Save comes back to this one and
    // says why under "Window closes".
    await closes.fill('21:30');
    await web.getByRole('tab', { name: 'General' }).click();
    await web.getByRole('button', { name: 'Save' }).click();
    await eventually(() =>
      web.getByRole('tab', { name: 'Activity control' }).getAttribute('aria-selected'),
    ).toBe('true');
    await eventually(() => descriptionOf(closes)).toBe(
      'The backup window must end at another time than it starts',
    );
    expect(await descriptionOf(opens)).toBe('HH:MM, 24-hour clock');
    expect(await closes.getAttribute('aria-invalid')).toBe('true');
    expect(await opens.getAttribute('aria-invalid')).toBe('false');
    await shot('03-refused');

    await closes.fill('05:00');
    await web.getByRole('button', { name: 'Save' }).click();
    await web.waitFor({ state: 'detached' });

    // Opened again, the tab shows what was saved.
    web = await openWeb();
    await web.getByRole('tab', { name: 'Activity control' }).click();
    expect(await enabled.isChecked()).toBe(true);
    expect(await opens.inputValue()).toBe('21:30');
    expect(await closes.inputValue()).toBe('05:00');
    expect(await opens.isDisabled()).toBe(false);
    await section.getByText('05:00 the next morning', { exact: false }).waitFor();
    await web.getByRole('button', { name: 'Cancel' }).click();
    await web.waitFor({ state: 'detached' });

    // The engine has it: the CLI shows the window the console saved.
    const shown = JSON.parse(
      await cliOn(serve.home, '--json', 'subclient', 'show', 'web', '--backupset', 'lab-set'),
    );
    expect(shown.settings.activity.window).toEqual({
      enabled: true,
      start: '21:30',
      end: '05:00',
    });
    expect(shown.settings.schedule.timezone).toBe('Europe/Berlin');
    expect(pageErrors).toEqual([]);
  });
});

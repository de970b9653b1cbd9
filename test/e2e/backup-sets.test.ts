import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, saveShot } from '../harness/browser';
import { runCli, startServe, type RunningServe } from '../harness/serve';

/**
 * The Backup sets console (patent 000 FIG. 4, 5A, 5B, 6, 15) against the real `hyperkeep serve`
 * and the lab's two libvirt hosts, driven in Chromium like an administrator would.
 * HYPERKEEP_E2E_SHOTS=<dir> also saves screenshots of the dialogs there.
 */
const lab = inject('lab');

/** Waits for what the console shows to settle (debounced previews, engine round trips). */
function eventually<T>(read: () => Promise<T> | T) {
  return expect.poll(read, { timeout: 15_000, interval: 100 });
}

let serve: RunningServe;
let scratch: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const shot = (name: string): Promise<void> => saveShot(page, name, false);

/** Picks an option of an MUI Select (a combobox that opens a listbox). */
async function choose(scope: Locator | Page, label: string | RegExp, option: string | RegExp) {
  await scope.getByRole('combobox', { name: label }).click();
  await page.getByRole('option', { name: option }).click();
}

/** The focused element is `locator` (e.g. a dialog's default button). */
async function hasFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === document.activeElement);
}

/** Escape on a dialog with unsaved changes asks first; the focus starts on "Keep editing". */
async function expectDiscardPrompt(): Promise<Locator> {
  const confirm = page.getByRole('dialog', { name: 'Discard changes?' });
  await confirm.waitFor();
  await eventually(() => hasFocus(confirm.getByRole('button', { name: 'Keep editing' }))).toBe(
    true,
  );
  return confirm;
}

/** The data grid row of a VM on the Virtual Machine Configuration tab. */
function vmRow(name: string): Locator {
  return page.locator('.MuiDataGrid-row', { hasText: name });
}

async function addSubclient(name: string, configure: (dialog: Locator) => Promise<void>) {
  await page.getByRole('button', { name: 'Add subclient' }).click();
  const dialog = page.getByRole('dialog', { name: 'New subclient' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByRole('tab', { name: 'Content' }).click();
  await dialog.getByRole('button', { name: 'Add rule' }).click();
  await configure(dialog);
  return dialog;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'hk-e2e-backup-sets-'));
  serve = await startServe();
  for (const host of lab.hosts) {
    const added = await runCli([
      '--home',
      serve.home,
      'hypervisor',
      'add',
      '--name',
      host.name,
      '--uri',
      host.uri,
      // The first Discover connects anyway; no need to pay for a connection test here too.
      '--no-test',
    ]);
    expect(added.code, added.stderr).toBe(0);
  }
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(serve.url);
  await page.getByRole('link', { name: 'Backup sets' }).click();
  await page.getByRole('heading', { name: 'Backup sets' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Backup sets', () => {
  it('closes an untouched new backup set at once, and asks before Escape loses a typed one', async () => {
    await page.getByRole('button', { name: 'New backup set' }).click();
    const dialog = page.getByRole('dialog', { name: 'New backup set' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'New backup set' }).click();
    await dialog.getByLabel('Name').fill('draft-set');
    await page.keyboard.press('Escape');
    let confirm = await expectDiscardPrompt();
    await shot('00-discard-new-backup-set');
    await confirm.getByRole('button', { name: 'Keep editing' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect(await dialog.getByLabel('Name').inputValue()).toBe('draft-set');

    await dialog.getByRole('button', { name: 'Cancel' }).click();
    confirm = await expectDiscardPrompt();
    await confirm.getByRole('button', { name: 'Discard' }).click();
    await dialog.waitFor({ state: 'detached' });
    const sets = await runCli(['--home', serve.home, '--json', 'backupset', 'list']);
    expect(JSON.parse(sets.stdout)).toEqual([]);
  });

  it('creates a set over both lab hosts, with a name rule and a host-affinity rule', async () => {
    await page.getByRole('button', { name: 'New backup set' }).click();
    const dialog = page.getByRole('dialog', { name: 'New backup set' });
    await dialog.getByLabel('Name').fill('lab-set');
    await choose(dialog, /Hypervisors/, /lab-host-1/);
    await page.getByRole('option', { name: /lab-host-2/ }).click();
    await page.keyboard.press('Escape'); // closes the menu, not the dialog
    await eventually(() =>
      dialog.getByRole('combobox', { name: /Hypervisors/ }).innerText(),
    ).toMatch(/lab-host-1[\s\S]*lab-host-2/);
    await shot('01-new-backup-set');
    await dialog.getByRole('button', { name: 'Save' }).click();

    const props = page.getByRole('dialog', { name: 'Backup set properties of lab-set' });
    await props.getByRole('tab', { name: 'Subclients', selected: true }).waitFor();

    const web = await addSubclient('web', async (sub) => {
      await sub
        .getByRole('group', { name: 'Rule 1' })
        .getByRole('button', { name: 'Configure' })
        .click();
      const configure = page.getByRole('dialog', { name: /Configure rule 1/ });
      await configure.getByLabel('Pattern').fill('^lab-web');
      // The rule's own live preview asks the engine which VMs it selects.
      await configure
        .getByRole('list', { name: 'Matching virtual machines' })
        .getByText('lab-web-01')
        .waitFor();
      await shot('02-rule-configure');
      await configure.getByRole('button', { name: 'OK' }).click();
      await sub
        .getByRole('region', { name: 'VMs these rules match right now' })
        .getByText('1 of 4 VMs match right now')
        .waitFor();
      await shot('03-subclient-content');
    });
    // No repository exists yet: the target is not a free-text field but a choice, and says why
    // nothing can be chosen instead of letting a name be typed that backups then fail on.
    await web.getByRole('tab', { name: /Storage/ }).click();
    const target = web.getByRole('combobox', { name: 'Target repository' });
    await eventually(() => target.innerText()).toBe('default (not registered)');
    await web
      .getByText(
        'No repository is registered yet: backups of this subclient will fail. Create a repository on the Storage page first.',
      )
      .waitFor();
    await shot('03b-subclient-storage-no-repository');
    // The schedule's next runs come live from the engine; a bad expression is named at its field.
    await web.getByRole('tab', { name: 'Schedule' }).click();
    await web.getByRole('textbox', { name: 'Full backup schedule' }).fill('0 3 * * *');
    await eventually(() =>
      web.getByRole('region', { name: 'Next runs: Full backup schedule' }).locator('li').count(),
    ).toBe(5);
    await shot('04-subclient-schedule');
    // Scheduled recovery tests: their own cron in the same zone, with its next runs.
    await web
      .getByLabel('Test the newest restore point of each VM on a schedule', { exact: false })
      .check();
    await web.getByRole('textbox', { name: 'Recovery test schedule' }).fill('0 5 * * 6');
    await eventually(() =>
      web.getByRole('region', { name: 'Next runs: Recovery test schedule' }).locator('li').count(),
    ).toBe(5);
    await web.getByRole('textbox', { name: 'Seconds to wait for each VM to come up' }).fill('240');
    expect(await web.getByRole('combobox', { name: 'Test on host' }).innerText()).toBe(
      'Each VM’s own host',
    );
    await shot('04c-subclient-recovery-test');
    // Prune cuts "days" and "weeks" in the schedule's zone: the Retention tab says which one.
    const zone = await web.getByRole('combobox', { name: 'Time zone' }).inputValue();
    await web.getByRole('tab', { name: 'Retention' }).click();
    await web
      .getByText(
        `Days, weeks, months and years follow the time zone of this subclient’s schedule (${zone}, set on the Schedule tab)`,
        { exact: false },
      )
      .waitFor();
    // Only what the engine applies is offered: disk level (file and volume restores come from
    // it), this engine as the proxy, no file path filter.
    await web.getByRole('tab', { name: 'General' }).click();
    expect(await web.getByRole('radio', { name: 'Disk level' }).isChecked()).toBe(true);
    for (const level of ['File level', 'Volume level'])
      expect(await web.getByRole('radio', { name: level }).isDisabled(), level).toBe(true);
    await web
      .getByText('a disk-level backup also restores single files and whole volumes', {
        exact: false,
      })
      .waitFor();
    const proxy = web.getByRole('textbox', { name: 'Proxy' });
    expect(await proxy.inputValue()).toBe('local');
    expect(await proxy.isEditable()).toBe(false);
    await web.getByText('This engine reads the disks itself').waitFor();
    await shot('04b-subclient-general');
    await web.getByRole('tab', { name: 'Filters' }).click();
    await web.getByLabel('Exclude disks').waitFor();
    expect(await web.getByLabel('Exclude file paths').count()).toBe(0);
    // Encryption is the target repository's: stated, not offered as a toggle.
    await web.getByRole('tab', { name: 'Encryption' }).click();
    const facts = web.getByRole('definition');
    await eventually(() => facts.allInnerTexts()).toEqual(['default (not registered)']);
    expect(await web.getByRole('checkbox').count()).toBe(0);
    // The per-host limit sits next to the data readers and refuses what the engine would not run.
    await web.getByRole('tab', { name: 'General' }).click();
    const perHost = web.getByRole('textbox', { name: 'Backups at once per host' });
    expect(await perHost.inputValue()).toBe('2');
    await perHost.fill('40');
    await web.getByRole('button', { name: 'Save' }).click();
    await web.getByText('At most 32 backups per host').waitFor();
    await perHost.fill('3');
    // No read limit unless one is set; set, it is kept in MiB/s.
    const readLimit = web.getByRole('textbox', { name: 'Read limit per VM' });
    expect(await readLimit.inputValue()).toBe('0');
    await readLimit.fill('25');
    await web.getByRole('button', { name: 'Save' }).click();
    await web.waitFor({ state: 'detached' });

    const host2 = await addSubclient('host2', async (sub) => {
      const rule = sub.getByRole('group', { name: 'Rule 1' });
      await choose(rule, 'Rule type', 'VM host affinity');
      await rule.getByRole('button', { name: 'Configure' }).click();
      const configure = page.getByRole('dialog', { name: /Configure rule 1/ });
      await configure.getByLabel('Host').fill('lab-host-2');
      await configure
        .getByRole('list', { name: 'Matching virtual machines' })
        .getByText('lab-win-01')
        .waitFor();
      await configure.getByRole('button', { name: 'OK' }).click();
    });
    await host2.getByRole('button', { name: 'Save' }).click();
    await host2.waitFor({ state: 'detached' });

    const table = props.getByRole('table', { name: 'Subclients' });
    await eventually(() => table.locator('tbody tr').allInnerTexts()).toEqual([
      expect.stringContaining('web'),
      expect.stringContaining('host2'),
      expect.stringContaining('default'),
    ]);
    await shot('05-subclients');
  });

  it('refuses to save an invalid regular expression and says why next to the rule', async () => {
    // An untouched new subclient has nothing to lose: Escape closes it at once.
    await page.getByRole('button', { name: 'Add subclient' }).click();
    const blank = page.getByRole('dialog', { name: 'New subclient' });
    await blank.waitFor();
    await page.keyboard.press('Escape');
    await blank.waitFor({ state: 'detached' });

    const sub = await addSubclient('broken', async (dialog) => {
      await dialog
        .getByRole('group', { name: 'Rule 1' })
        .getByRole('button', { name: 'Configure' })
        .click();
      const configure = page.getByRole('dialog', { name: /Configure rule 1/ });
      const pattern = configure.getByLabel('Pattern');
      await pattern.fill('web(');
      await eventually(() => pattern.getAttribute('aria-invalid')).toBe('true');
      await expect(configure.innerText()).resolves.toMatch(/Invalid regular expression \/web\(\//);
      await shot('06-invalid-regex');
      await configure.getByRole('button', { name: 'OK' }).click();
    });
    await sub.getByRole('button', { name: 'Save' }).click();
    // Refused: the dialog stays, on the Content tab, with the engine's message on the rule.
    const ruleError = sub.getByRole('group', { name: 'Rule 1' }).getByRole('alert');
    await eventually(() => ruleError.innerText()).toMatch(/Invalid regular expression/);
    await expect(sub.getByRole('tab', { name: /Content/, selected: true }).count()).resolves.toBe(
      1,
    );
    // Esc asks before the new subclient's name and rule are lost; a second Esc keeps editing.
    // (Focus the tab first: the refused Save re-renders the tabs and may leave the focus on the
    // page body.)
    await sub.getByRole('tab', { name: /Content/ }).focus();
    await page.keyboard.press('Escape');
    let confirm = await expectDiscardPrompt();
    await shot('06b-discard-new-subclient');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    expect(await sub.getByRole('group', { name: 'Rule 1' }).count()).toBe(1);
    await sub.getByRole('tab', { name: /Content/ }).focus();
    await page.keyboard.press('Escape');
    confirm = await expectDiscardPrompt();
    // Discard closes the topmost dialog only: the backup set's properties stay open.
    await confirm.getByRole('button', { name: 'Discard' }).click();
    await sub.waitFor({ state: 'detached' });
    const rows = page.getByRole('table', { name: 'Subclients' }).locator('tbody tr');
    await eventually(() => rows.count()).toBe(3);
  });

  it('discovers the VMs, places them by rule, and moves selected ones by hand', async () => {
    const props = page.getByRole('dialog', { name: 'Backup set properties of lab-set' });
    await props.getByRole('tab', { name: 'Virtual Machine Configuration' }).click();
    await props.getByRole('button', { name: 'Discover' }).click();
    await vmRow('lab-web-01').waitFor();
    await eventually(() => props.locator('.MuiDataGrid-row').count()).toBe(lab.vms.length);
    expect(await vmRow('lab-web-01').innerText()).toMatch(
      /\bweb\b[\s\S]*name matching \/\^lab-web\//,
    );
    expect(await vmRow('lab-win-01').innerText()).toMatch(/\bhost2\b[\s\S]*host = lab-host-2/);
    for (const name of ['lab-db-01', 'lab-archive-01']) {
      expect(await vmRow(name).innerText()).toMatch(/\bdefault\b[\s\S]*matches no subclient rule/);
    }
    // The reason is read whole at 1400 px: wrapped onto a second line, not cut with an ellipsis.
    await page.setViewportSize({ width: 1400, height: 960 });
    const reason = vmRow('lab-db-01').locator('[data-field="reason"] p');
    await eventually(() => reason.innerText()).toBe(
      'matches no subclient rule; added to the default subclient (automatic add is on)',
    );
    expect(
      await reason.evaluate(
        (el) => el.scrollHeight <= el.clientHeight && el.scrollWidth <= el.clientWidth,
      ),
    ).toBe(true);
    await shot('07a-reason-at-1400');
    await page.setViewportSize({ width: 1440, height: 960 });
    // Every VM is in a subclient; none was backed up, so the count must not say "protected".
    await props.getByText('4 assigned', { exact: true }).waitFor();
    await props.getByText('0 not assigned', { exact: true }).waitFor();
    await shot('07-vm-configuration');

    await vmRow('lab-db-01').getByRole('checkbox').check();
    await vmRow('lab-archive-01').getByRole('checkbox').check();
    await props.getByText('Change all selected virtual machines to subclient:').waitFor();
    await choose(props, 'Subclient', 'web');
    await props.getByRole('button', { name: 'Apply' }).click();
    for (const name of ['lab-db-01', 'lab-archive-01']) {
      await eventually(() => vmRow(name).innerText()).toMatch(/\bweb\b[\s\S]*assigned manually/);
    }
    await shot('08-vm-configuration-applied');
  });

  it('keeps VM credentials without ever showing the password', async () => {
    const props = page.getByRole('dialog', { name: 'Backup set properties of lab-set' });
    await props.getByRole('tab', { name: 'VM credentials' }).click();
    // Nothing reads them back: the tab must not promise application-consistent backups.
    await props.getByText('No VM credentials. Backups do not need any', { exact: false }).waitFor();
    await props
      .getByText('Hyperkeep’s backups do not use them: they quiesce the guest through the QEMU', {
        exact: false,
      })
      .waitFor();
    await props.getByRole('button', { name: 'Add', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add VM credentials' });
    await dialog.getByLabel('VM name').fill('lab-win-01');
    await dialog.getByLabel('User name').fill('Administrator');
    await dialog.getByLabel('Password').fill('s3cret!');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const row = props.getByRole('table', { name: 'VM credentials' }).locator('tbody tr');
    await eventually(() => row.first().innerText()).toMatch(/lab-win-01\s+Administrator\s+••••/);
    expect(await page.content()).not.toContain('s3cret!');
    await shot('09-vm-credentials');
  });

  it('targets a registered repository, and flags a saved name that names none', async () => {
    const init = await runCli([
      '--home',
      serve.home,
      'repo',
      'init',
      '--name',
      'offsite',
      '--path',
      join(scratch, 'offsite'),
      '--no-encrypt',
    ]);
    expect(init.code, init.stderr).toBe(0);
    const props = page.getByRole('dialog', { name: 'Backup set properties of lab-set' });
    await props.getByRole('tab', { name: 'Subclients' }).click();
    await props.getByRole('button', { name: 'Properties of web' }).click();
    const web = page.getByRole('dialog', { name: 'Subclient properties of web' });
    await web.getByRole('tab', { name: /Storage/ }).click();
    const target = web.getByRole('combobox', { name: 'Target repository' });
    // The saved "default" names no repository: kept and flagged, never swapped silently.
    await eventually(() => target.innerText()).toBe('default (not registered)');
    await web
      .getByText(
        'No repository named "default" is registered: backups of this subclient will fail. Choose a registered repository.',
      )
      .waitFor();
    await target.click();
    expect(await page.getByRole('option').allInnerTexts()).toEqual([
      'default (not registered)',
      'offsite',
    ]);
    await page.getByRole('option', { name: 'offsite' }).click();
    await eventually(() => web.getByText(/No repository named/).count()).toBe(0);
    await shot('09b-subclient-storage-repository');
    // The Encryption tab states what the chosen repository does: offsite was made unencrypted.
    await web.getByRole('tab', { name: 'Encryption' }).click();
    await eventually(() => web.getByRole('definition').allInnerTexts()).toEqual([
      'offsite',
      'Not encrypted',
      '—',
      '—',
    ]);
    await web
      .getByText('decided when the repository is created (Storage page)', { exact: false })
      .waitFor();
    await shot('09c-subclient-encryption');
    await web.getByRole('button', { name: 'Save' }).click();
    await web.waitFor({ state: 'detached' });
    const shown = await runCli([
      '--home',
      serve.home,
      '--json',
      'subclient',
      'show',
      'web',
      '--backupset',
      'lab-set',
    ]);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      settings: {
        storage: { repository: 'offsite' },
        recoveryTest: { enabled: true, cron: '0 5 * * 6', hypervisor: '', bootSeconds: 240 },
      },
    });
  });

  it('persists everything across a reload', async () => {
    const props = page.getByRole('dialog', { name: 'Backup set properties of lab-set' });
    await props.getByRole('button', { name: 'Close', exact: true }).click();
    await props.waitFor({ state: 'detached' });
    await page.reload();
    const row = page
      .getByRole('table', { name: 'Backup sets' })
      .getByRole('row', { name: /lab-set/ });
    await eventually(() => row.innerText()).toMatch(
      /lab-host-1[\s\S]*lab-host-2[\s\S]*3[\s\S]*4 assigned/,
    );
    await shot('10-backup-sets-page');
    await page.getByRole('button', { name: 'Properties of lab-set' }).click();

    await eventually(() => props.getByLabel('Name').inputValue()).toBe('lab-set');
    await props.getByRole('tab', { name: 'Auto-discovery rules' }).click();
    await props.getByText('Name matches /^lab-web/i').waitFor();
    await props.getByRole('button', { name: /host2/ }).click();
    await props.getByText('On host lab-host-2').waitFor();
    await shot('11-auto-discovery-rules');

    await props.getByRole('tab', { name: 'Virtual Machine Configuration' }).click();
    for (const name of ['lab-db-01', 'lab-archive-01']) {
      await eventually(() => vmRow(name).innerText()).toMatch(/\bweb\b[\s\S]*assigned manually/);
    }
    expect(await vmRow('lab-win-01').innerText()).toMatch(/\bhost2\b/);

    await props.getByRole('tab', { name: 'Subclients' }).click();
    await props.getByRole('button', { name: 'Properties of web' }).click();
    const web = page.getByRole('dialog', { name: 'Subclient properties of web' });
    await eventually(() =>
      web.getByRole('textbox', { name: 'Backups at once per host' }).inputValue(),
    ).toBe('3');
    expect(await web.getByRole('textbox', { name: 'Read limit per VM' }).inputValue()).toBe('25');
    await web.getByRole('button', { name: 'Cancel' }).click();
    await web.waitFor({ state: 'detached' });
    expect(pageErrors).toEqual([]);
  });

  it('deletes a backup set after asking', async () => {
    const props = page.getByRole('dialog', { name: 'Backup set properties of lab-set' });
    await props.getByRole('button', { name: 'Close', exact: true }).click();
    await page.getByRole('button', { name: 'Delete lab-set' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete backup set lab-set?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No backup set yet').waitFor();
    const left = await runCli(['--home', serve.home, '--json', 'backupset', 'list']);
    expect(JSON.parse(left.stdout)).toEqual([]);
  });
});

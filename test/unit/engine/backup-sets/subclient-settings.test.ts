/**
 * Subclient settings the engine would not apply are refused, not saved: file/volume copy types,
 * proxies other than this engine. Rows saved by earlier versions still load, without the settings
 * that were dropped (encryption, file path filters), and show what their backups really were.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SubclientSettings } from '../../../../shared/domain/backup-set';
import { HyperkeepError } from '../../../../shared/errors';
import { BackupSetStore } from '../../../../src-main/engine/backup-sets/backup-set-store';
import {
  readStoredSettings,
  validateSettings,
} from '../../../../src-main/engine/backup-sets/subclient-settings';
import { openCatalog, type CatalogDb } from '../../../../src-main/engine/catalog/catalog';

/** What a subclient saved before encryption and file path filters were removed looked like. */
const OLD_ROW = {
  ...SubclientSettings.parse({}),
  copyLevel: 'file',
  proxy: 'proxy-02',
  filters: { excludeVms: ['test-*'], excludeDisks: ['vdb'], excludePaths: ['/tmp/*'] },
  encryption: { enabled: true, cipher: 'aes-256-gcm' },
};

function refusal(run: () => unknown): HyperkeepError {
  try {
    run();
  } catch (err) {
    if (err instanceof HyperkeepError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('validateSettings', () => {
  it('refuses a recovery test schedule that is not a cron expression, only when it is on', () => {
    const off = SubclientSettings.parse({ recoveryTest: { cron: 'every saturday' } });
    expect(() => validateSettings(off)).not.toThrow();
    const on = SubclientSettings.parse({ recoveryTest: { enabled: true, cron: 'every saturday' } });
    const err = refusal(() => validateSettings(on));
    expect(err.message).toMatch(/^Invalid schedule "every saturday"/);
    expect(err.details).toMatchObject({ field: 'settings.recoveryTest.cron' });
  });

  it('accepts the defaults (disk level, local proxy)', () => {
    expect(() => validateSettings(SubclientSettings.parse({}))).not.toThrow();
  });

  it.each([
    ['file', 'file level'],
    ['volume', 'volume level'],
  ] as const)('refuses the %s copy type and says why', (copyLevel, name) => {
    const err = refusal(() => validateSettings(SubclientSettings.parse({ copyLevel })));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details).toEqual({ field: 'settings.copyLevel' });
    expect(err.message).toBe(
      `Copy type "${name}" is not available: Hyperkeep copies whole disks, and a disk-level backup already restores single files and whole volumes (every file is cataloged at backup time). Choose disk level.`,
    );
  });

  it('refuses a proxy other than this engine', () => {
    const err = refusal(() => validateSettings(SubclientSettings.parse({ proxy: 'proxy-02' })));
    expect(err.details).toEqual({ field: 'settings.proxy' });
    expect(err.message).toBe(
      `There is no proxy "proxy-02": this engine reads the VMs' disks itself, so the proxy is always "local".`,
    );
  });
});

describe('reading stored settings', () => {
  it('drops encryption and excludePaths, and reads file level and another proxy as what ran', () => {
    const settings = readStoredSettings(JSON.stringify(OLD_ROW));
    expect(settings).not.toHaveProperty('encryption');
    expect(settings.filters).toEqual({ excludeVms: ['test-*'], excludeDisks: ['vdb'] });
    expect(settings.copyLevel).toBe('disk');
    expect(settings.proxy).toBe('local');
  });
});

describe('BackupSetStore', () => {
  let dir: string;
  let db: CatalogDb;
  let store: BackupSetStore;
  let setId: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hk-subclient-settings-'));
    db = openCatalog(join(dir, 'catalog.sqlite'));
    db.prepare(
      "INSERT INTO hypervisors (id, name, type, uri, created_at) VALUES ('h1', 'lab-host-1', 'libvirt', 'qemu:///system', 'now')",
    ).run();
    store = new BackupSetStore(db);
    setId = store.create({ name: 'lab', hypervisorIds: ['h1'] }).id;
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to create or edit a subclient with file-level copies', () => {
    expect(() =>
      store.createSubclient({ backupSetId: setId, name: 'web', settings: { copyLevel: 'file' } }),
    ).toThrow(/Copy type "file level" is not available/);
    const web = store.createSubclient({ backupSetId: setId, name: 'web' });
    const settings = { ...web.settings, copyLevel: 'volume' as const };
    expect(() => store.updateSubclient({ id: web.id, settings })).toThrow(
      /Copy type "volume level" is not available/,
    );
    expect(store.subclient(web.id).settings.copyLevel).toBe('disk');
  });

  it('refuses a backup set proxy other than local', () => {
    expect(() => store.create({ name: 'other', hypervisorIds: ['h1'], proxy: 'px' })).toThrow(
      /There is no proxy "px"/,
    );
    expect(() => store.update({ id: setId, proxy: 'px' })).toThrow(/There is no proxy "px"/);
    expect(store.get(setId).proxy).toBe('local');
  });

  it('loads a subclient saved by an earlier version, and saves it back without the old keys', () => {
    const web = store.createSubclient({ backupSetId: setId, name: 'web' });
    db.prepare('UPDATE subclients SET settings_json = ? WHERE id = ?').run(
      JSON.stringify(OLD_ROW),
      web.id,
    );
    const loaded = store.subclient(web.id);
    expect(loaded.settings).not.toHaveProperty('encryption');
    expect(loaded.settings.copyLevel).toBe('disk');
    // An edit of another setting (what `subclient edit --no-restores` sends) is not refused for
    // the stored file level: it was read as the disk level it always was.
    const settings = {
      ...loaded.settings,
      activity: { backupEnabled: true, restoreEnabled: false },
    };
    store.updateSubclient({ id: web.id, settings });
    const { settings_json } = db
      .prepare('SELECT settings_json FROM subclients WHERE id = ?')
      .get(web.id) as { settings_json: string };
    expect(JSON.parse(settings_json)).not.toHaveProperty('encryption');
    expect(JSON.parse(settings_json).filters).not.toHaveProperty('excludePaths');
    expect(store.subclient(web.id).settings.activity.restoreEnabled).toBe(false);
  });
});

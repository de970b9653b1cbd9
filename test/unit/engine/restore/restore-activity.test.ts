/**
 * "Enable restore = off" on a VM's current subclient refuses restores of that VM with a message
 * saying where to turn it back on; VMs in no subclient, or in one with restores on, restore.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupSetStore } from '../../../../src-main/engine/backup-sets/backup-set-store';
import { openCatalog, type CatalogDb } from '../../../../src-main/engine/catalog/catalog';
import { assertRestoresEnabled } from '../../../../src-main/engine/restore/restore-activity';

const VM = { vmUuid: 'uuid-web-01', vmName: 'lab-web-01' };

describe('assertRestoresEnabled', () => {
  let dir: string;
  let db: CatalogDb;
  let backupSets: BackupSetStore;
  let webId: string;

  function assign(vmUuid: string, subclientId: string, setId: string) {
    db.prepare(
      `INSERT INTO vm_assignments (backup_set_id, vm_uuid, vm_name, hypervisor_id, host, power_state, subclient_id, reason, manual, status, first_seen, last_seen)
       VALUES (?, ?, 'lab-web-01', 'h1', 'lab-host-1', 'running', ?, 'test', 0, 'present', 'now', 'now')`,
    ).run(setId, vmUuid, subclientId);
  }

  function setRestores(enabled: boolean) {
    const web = backupSets.subclient(webId);
    backupSets.updateSubclient({
      id: webId,
      settings: {
        ...web.settings,
        activity: { ...web.settings.activity, restoreEnabled: enabled },
      },
    });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hk-restore-activity-'));
    db = openCatalog(join(dir, 'catalog.sqlite'));
    db.prepare(
      "INSERT INTO hypervisors (id, name, type, uri, created_at) VALUES ('h1', 'lab-host-1', 'libvirt', 'qemu:///system', 'now')",
    ).run();
    backupSets = new BackupSetStore(db);
    const set = backupSets.create({ name: 'lab', hypervisorIds: ['h1'] });
    webId = backupSets.createSubclient({ backupSetId: set.id, name: 'web' }).id;
    assign(VM.vmUuid, webId, set.id);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets a VM restore while its subclient has restores on', () => {
    expect(() => assertRestoresEnabled({ backupSets }, VM)).not.toThrow();
  });

  it('refuses while its subclient has restores off, and says where to turn them on', () => {
    setRestores(false);
    expect(() => assertRestoresEnabled({ backupSets }, VM)).toThrow(
      "Restores are disabled for lab-web-01: its subclient web of backup set lab has 'Enable restore' off (Activity control). Turn it on there to restore.",
    );
    setRestores(true);
    expect(() => assertRestoresEnabled({ backupSets }, VM)).not.toThrow();
  });

  it('lets a VM in no subclient restore (e.g. its backup set was deleted)', () => {
    setRestores(false);
    expect(() =>
      assertRestoresEnabled({ backupSets }, { vmUuid: 'other', vmName: 'gone' }),
    ).not.toThrow();
  });
});

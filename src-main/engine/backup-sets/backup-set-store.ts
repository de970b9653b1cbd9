import { randomUUID } from 'node:crypto';
import {
  BackupSetInput,
  SubclientInput,
  SubclientSettings,
  type BackupSet,
  type BackupSetUpdate,
  type Subclient,
  type SubclientUpdate,
} from '../../../shared/domain/backup-set';
import { SubclientContent } from '../../../shared/domain/rules';
import { HyperkeepError } from '../../../shared/errors';
import type { CatalogDb } from '../catalog/catalog';
import { validateContent } from './rule-evaluator';
import { nextRuns } from './schedule';
import {
  assertLocalProxy,
  LOCAL_PROXY,
  readStoredSettings,
  validateSettings,
} from './subclient-settings';

interface SetRow {
  id: string;
  name: string;
  proxy: string;
  auto_discovery: number;
  auto_add_unmatched: number;
  created_at: string;
}
interface SubclientRow {
  id: string;
  backup_set_id: string;
  name: string;
  is_default: number;
  position: number;
  content_json: string;
  settings_json: string;
  created_at: string;
}

export const DEFAULT_SUBCLIENT = 'default';

function toSubclient(row: SubclientRow): Subclient {
  const settings = readStoredSettings(row.settings_json);
  const schedule = settings.schedule.enabled
    ? {
        nextFull: nextRuns(settings.schedule.full, settings.schedule.timezone, 1)[0],
        nextIncremental: nextRuns(settings.schedule.incremental, settings.schedule.timezone, 1)[0],
      }
    : {};
  return {
    id: row.id,
    backupSetId: row.backup_set_id,
    name: row.name,
    isDefault: row.is_default === 1,
    position: row.position,
    content: SubclientContent.parse(JSON.parse(row.content_json)),
    settings,
    ...schedule,
    createdAt: row.created_at,
  };
}

/** Backup sets and their subclients in the catalog. Every set has exactly one default subclient. */
export class BackupSetStore {
  constructor(private readonly db: CatalogDb) {}

  list(): BackupSet[] {
    const rows = this.db.prepare('SELECT * FROM backup_sets ORDER BY name').all() as SetRow[];
    return rows.map((row) => this.assemble(row));
  }

  get(id: string): BackupSet {
    return this.assemble(this.setRow(id));
  }

  find(idOrName: string): BackupSet {
    const row = this.db
      .prepare('SELECT * FROM backup_sets WHERE id = ? OR name = ? COLLATE NOCASE')
      .get(idOrName, idOrName) as SetRow | undefined;
    if (!row) throw new HyperkeepError('NOT_FOUND', `No backup set named "${idOrName}".`);
    return this.assemble(row);
  }

  create(raw: BackupSetInput): BackupSet {
    const input = BackupSetInput.parse(raw);
    assertLocalProxy(input.proxy, 'proxy');
    this.assertSetNameFree(input.name);
    this.assertHypervisors(input.hypervisorIds);
    const id = randomUUID();
    const now = new Date().toISOString();
    this.db
      .transaction(() => {
        this.db
          .prepare(
            'INSERT INTO backup_sets (id, name, proxy, auto_discovery, auto_add_unmatched, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          )
          .run(
            id,
            input.name,
            LOCAL_PROXY,
            input.autoDiscovery ? 1 : 0,
            input.autoAddUnmatched ? 1 : 0,
            now,
          );
        this.setHypervisors(id, input.hypervisorIds);
        this.insertSubclient(
          id,
          DEFAULT_SUBCLIENT,
          true,
          SubclientContent.parse({}),
          SubclientSettings.parse({}),
        );
      })
      .immediate();
    return this.get(id);
  }

  update(change: BackupSetUpdate): BackupSet {
    const row = this.setRow(change.id);
    if (change.name !== undefined && change.name.trim().toLowerCase() !== row.name.toLowerCase())
      this.assertSetNameFree(change.name.trim());
    if (change.hypervisorIds) this.assertHypervisors(change.hypervisorIds);
    if (change.proxy !== undefined) assertLocalProxy(change.proxy, 'proxy');
    this.db
      .transaction(() => {
        this.db
          .prepare(
            'UPDATE backup_sets SET name = ?, proxy = ?, auto_discovery = ?, auto_add_unmatched = ? WHERE id = ?',
          )
          .run(
            change.name?.trim() ?? row.name,
            LOCAL_PROXY,
            change.autoDiscovery === undefined ? row.auto_discovery : Number(change.autoDiscovery),
            change.autoAddUnmatched === undefined
              ? row.auto_add_unmatched
              : Number(change.autoAddUnmatched),
            row.id,
          );
        if (change.hypervisorIds) this.setHypervisors(row.id, change.hypervisorIds);
      })
      .immediate();
    return this.get(row.id);
  }

  delete(id: string): void {
    this.setRow(id);
    this.db.prepare('DELETE FROM backup_sets WHERE id = ?').run(id);
  }

  createSubclient(raw: SubclientInput): Subclient {
    const input = SubclientInput.parse(raw);
    this.setRow(input.backupSetId);
    validateContent(input.content);
    validateSettings(input.settings);
    this.assertSubclientNameFree(input.backupSetId, input.name);
    const id = this.db
      .transaction(() =>
        this.insertSubclient(input.backupSetId, input.name, false, input.content, input.settings),
      )
      .immediate();
    return this.subclient(id);
  }

  updateSubclient(change: SubclientUpdate): Subclient {
    const row = this.subclientRow(change.id);
    if (row.is_default && change.content && change.content.rules?.length) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        'The default subclient takes the VMs no rule claims; it has no rules of its own.',
        { field: 'content' },
      );
    }
    if (change.name !== undefined && change.name.trim().toLowerCase() !== row.name.toLowerCase()) {
      if (row.is_default)
        throw new HyperkeepError('INVALID_INPUT', 'The default subclient cannot be renamed.', {
          field: 'name',
        });
      this.assertSubclientNameFree(row.backup_set_id, change.name.trim());
    }
    const content = change.content ? SubclientContent.parse(change.content) : undefined;
    const settings = change.settings ? SubclientSettings.parse(change.settings) : undefined;
    if (content) validateContent(content);
    if (settings) validateSettings(settings);
    this.db
      .transaction(() => {
        this.db
          .prepare(
            'UPDATE subclients SET name = ?, content_json = ?, settings_json = ? WHERE id = ?',
          )
          .run(
            change.name?.trim() ?? row.name,
            content ? JSON.stringify(content) : row.content_json,
            settings ? JSON.stringify(settings) : row.settings_json,
            row.id,
          );
        if (change.position !== undefined && !row.is_default) this.move(row, change.position);
      })
      .immediate();
    return this.subclient(row.id);
  }

  deleteSubclient(id: string): void {
    const row = this.subclientRow(id);
    if (row.is_default)
      throw new HyperkeepError(
        'INVALID_INPUT',
        'The default subclient cannot be deleted; delete the backup set instead.',
      );
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM subclients WHERE id = ?').run(id);
        this.renumber(row.backup_set_id);
      })
      .immediate();
  }

  subclient(id: string): Subclient {
    return toSubclient(this.subclientRow(id));
  }

  findSubclient(backupSetId: string, idOrName: string): Subclient {
    const row = this.db
      .prepare(
        'SELECT * FROM subclients WHERE backup_set_id = ? AND (id = ? OR name = ? COLLATE NOCASE)',
      )
      .get(backupSetId, idOrName, idOrName) as SubclientRow | undefined;
    if (!row)
      throw new HyperkeepError('NOT_FOUND', `No subclient named "${idOrName}" in this backup set.`);
    return toSubclient(row);
  }

  /** The settings of the subclient a VM is assigned to in any backup set (the first one found). */
  settingsOfVm(vmUuid: string): SubclientSettings | undefined {
    return this.subclientOfVm(vmUuid)?.settings;
  }

  /** Like settingsOfVm, with the names of the backup set and subclient, for logs ("lab-set / web"). */
  subclientOfVm(
    vmUuid: string,
  ): { backupSet: string; subclient: string; settings: SubclientSettings } | undefined {
    const row = this.db
      .prepare(
        'SELECT b.name AS backup_set, s.name AS subclient, s.settings_json FROM vm_assignments a JOIN subclients s ON s.id = a.subclient_id JOIN backup_sets b ON b.id = s.backup_set_id WHERE a.vm_uuid = ? ORDER BY a.last_seen DESC LIMIT 1',
      )
      .get(vmUuid) as { backup_set: string; subclient: string; settings_json: string } | undefined;
    if (!row) return undefined;
    const settings = readStoredSettings(row.settings_json);
    return { backupSet: row.backup_set, subclient: row.subclient, settings };
  }

  /**
   * The VMs whose retention this subclient decides at prune: assigned to it by their most recent
   * assignment, the same pick subclientOfVm makes.
   */
  vmsOfSubclient(subclientId: string): { vmUuid: string; vmName: string }[] {
    const rows = this.db
      .prepare(
        `SELECT a.vm_uuid, a.vm_name FROM vm_assignments a WHERE a.subclient_id = ?
           AND (SELECT b.subclient_id FROM vm_assignments b WHERE b.vm_uuid = a.vm_uuid
                ORDER BY b.last_seen DESC LIMIT 1) = a.subclient_id
         ORDER BY a.vm_name`,
      )
      .all(subclientId) as { vm_uuid: string; vm_name: string }[];
    return rows.map((r) => ({ vmUuid: r.vm_uuid, vmName: r.vm_name }));
  }

  private assemble(row: SetRow): BackupSet {
    const hypervisorIds = (
      this.db
        .prepare(
          'SELECT hypervisor_id FROM backup_set_hypervisors WHERE backup_set_id = ? ORDER BY rowid',
        )
        .all(row.id) as { hypervisor_id: string }[]
    ).map((r) => r.hypervisor_id);
    const subclients = (
      this.db
        .prepare('SELECT * FROM subclients WHERE backup_set_id = ? ORDER BY is_default, position')
        .all(row.id) as SubclientRow[]
    ).map(toSubclient);
    return {
      id: row.id,
      name: row.name,
      hypervisorIds,
      // Rows of earlier versions may name another proxy; this engine always read the disks itself.
      proxy: LOCAL_PROXY,
      autoDiscovery: row.auto_discovery === 1,
      autoAddUnmatched: row.auto_add_unmatched === 1,
      createdAt: row.created_at,
      subclients,
    };
  }

  private insertSubclient(
    setId: string,
    name: string,
    isDefault: boolean,
    content: SubclientContent,
    settings: SubclientSettings,
  ): string {
    const id = randomUUID();
    const { n } = this.db
      .prepare('SELECT count(*) AS n FROM subclients WHERE backup_set_id = ? AND is_default = 0')
      .get(setId) as { n: number };
    this.db
      .prepare(
        'INSERT INTO subclients (id, backup_set_id, name, is_default, position, content_json, settings_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        id,
        setId,
        name,
        isDefault ? 1 : 0,
        isDefault ? 1_000_000 : n,
        JSON.stringify(content),
        JSON.stringify(settings),
        new Date().toISOString(),
      );
    return id;
  }

  private move(row: SubclientRow, position: number): void {
    const ids = (
      this.db
        .prepare(
          'SELECT id FROM subclients WHERE backup_set_id = ? AND is_default = 0 ORDER BY position',
        )
        .all(row.backup_set_id) as { id: string }[]
    )
      .map((r) => r.id)
      .filter((id) => id !== row.id);
    ids.splice(Math.min(position, ids.length), 0, row.id);
    ids.forEach((id, i) =>
      this.db.prepare('UPDATE subclients SET position = ? WHERE id = ?').run(i, id),
    );
  }

  private renumber(setId: string): void {
    const ids = this.db
      .prepare(
        'SELECT id FROM subclients WHERE backup_set_id = ? AND is_default = 0 ORDER BY position',
      )
      .all(setId) as { id: string }[];
    ids.forEach((r, i) =>
      this.db.prepare('UPDATE subclients SET position = ? WHERE id = ?').run(i, r.id),
    );
  }

  private setHypervisors(setId: string, ids: string[]): void {
    this.db.prepare('DELETE FROM backup_set_hypervisors WHERE backup_set_id = ?').run(setId);
    for (const id of new Set(ids))
      this.db
        .prepare('INSERT INTO backup_set_hypervisors (backup_set_id, hypervisor_id) VALUES (?, ?)')
        .run(setId, id);
  }

  private setRow(id: string): SetRow {
    const row = this.db.prepare('SELECT * FROM backup_sets WHERE id = ?').get(id) as
      SetRow | undefined;
    if (!row) throw new HyperkeepError('NOT_FOUND', `No backup set with id ${id}.`);
    return row;
  }

  private subclientRow(id: string): SubclientRow {
    const row = this.db.prepare('SELECT * FROM subclients WHERE id = ?').get(id) as
      SubclientRow | undefined;
    if (!row) throw new HyperkeepError('NOT_FOUND', `No subclient with id ${id}.`);
    return row;
  }

  private assertHypervisors(ids: string[]): void {
    for (const id of ids) {
      if (!this.db.prepare('SELECT 1 FROM hypervisors WHERE id = ?').get(id)) {
        throw new HyperkeepError('NOT_FOUND', `No registered hypervisor with id ${id}.`, {
          field: 'hypervisorIds',
        });
      }
    }
  }

  private assertSetNameFree(name: string): void {
    if (this.db.prepare('SELECT 1 FROM backup_sets WHERE name = ? COLLATE NOCASE').get(name)) {
      throw new HyperkeepError('ALREADY_EXISTS', `A backup set named "${name}" already exists.`, {
        field: 'name',
      });
    }
  }

  private assertSubclientNameFree(setId: string, name: string): void {
    if (
      this.db
        .prepare('SELECT 1 FROM subclients WHERE backup_set_id = ? AND name = ? COLLATE NOCASE')
        .get(setId, name)
    ) {
      throw new HyperkeepError(
        'ALREADY_EXISTS',
        `A subclient named "${name}" already exists in this backup set.`,
        { field: 'name' },
      );
    }
  }
}

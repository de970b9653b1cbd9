import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openCatalog, schemaVersion } from '../../../../src-main/engine/catalog/catalog';
import { latestSchemaVersion, migrations } from '../../../../src-main/engine/catalog/migrations';

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hk-catalog-'));
  dirs.push(dir);
  return join(dir, 'catalog.sqlite');
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('catalog migrations', () => {
  it('versions are consecutive from 1', () => {
    migrations.forEach((m, i) => expect(m.version).toBe(i + 1));
  });

  it('creates a new catalog at the latest schema in WAL mode', () => {
    const db = openCatalog(tempDb());
    expect(schemaVersion(db)).toBe(latestSchemaVersion);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('reopening keeps data and does not re-run migrations', () => {
    const path = tempDb();
    const db = openCatalog(path);
    db.prepare(
      "INSERT INTO hypervisors (id, name, type, uri, created_at) VALUES ('1', 'h', 'libvirt', 'qemu:///system', 'now')",
    ).run();
    db.close();
    const again = openCatalog(path);
    expect(again.prepare('SELECT count(*) AS n FROM hypervisors').get()).toEqual({ n: 1 });
    again.close();
  });

  it('refuses a catalog written by a newer Hyperkeep', () => {
    const path = tempDb();
    const raw = new Database(path);
    raw.pragma(`user_version = ${latestSchemaVersion + 1}`);
    expect(() => migrate(raw)).toThrow(/newer Hyperkeep/);
    raw.close();
  });
});

import Database from 'better-sqlite3';
import { HyperkeepError } from '../../../shared/errors';
import { latestSchemaVersion, migrations } from './migrations';

export type CatalogDb = Database.Database;

/** Opens (creating if needed) the SQLite catalog in WAL mode and brings its schema up to date. */
export function openCatalog(path: string): CatalogDb {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function schemaVersion(db: CatalogDb): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(db: CatalogDb): void {
  const current = schemaVersion(db);
  if (current > latestSchemaVersion) {
    throw new HyperkeepError(
      'INTERNAL',
      `The catalog was written by a newer Hyperkeep (schema ${current}, this version knows up to ${latestSchemaVersion}). Upgrade Hyperkeep to open it.`,
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

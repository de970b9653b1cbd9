import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog, type CatalogDb } from '../../../../src-main/engine/catalog/catalog';
import { FileCatalog } from '../../../../src-main/engine/file-catalog/file-catalog';

/** A catalog file of its own in a fresh temp folder, as each file-catalog test starts with. */
export interface TempCatalog {
  dir: string;
  db: CatalogDb;
  catalog: FileCatalog;
  /** Closes the database and removes the folder. */
  remove(): void;
}

export function openTempCatalog(prefix: string): TempCatalog {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const db = openCatalog(join(dir, 'catalog.sqlite'));
  return {
    dir,
    db,
    catalog: new FileCatalog(db),
    remove: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

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

/**
 * Every entry of a volume of a point as the catalog holds it, one line per path, and the point's
 * big-folder sizes: two catalogs that hold the same point the same way give the same lines.
 */
export function catalogDump(catalog: TempCatalog, pointId: string, volume: string): string[] {
  const { seq, vm_id: vmId } = catalog.db
    .prepare('SELECT seq, vm_id FROM fc_points WHERE point_id = ?')
    .get(pointId) as { seq: number; vm_id: number };
  const { id } = catalog.db
    .prepare('SELECT id FROM fc_volumes WHERE vm_id = ? AND name = ?')
    .get(vmId, volume) as { id: number };
  const rows = catalog.db
    .prepare(
      `WITH RECURSIVE t(id, path) AS (
         SELECT id, '' FROM fc_paths WHERE parent_id = -?
         UNION ALL SELECT c.id, t.path || '/' || c.name FROM fc_paths c JOIN t ON c.parent_id = t.id)
       SELECT t.path, e.type, e.size, e.mtime, e.mode, e.uid, e.gid, e.owner, e.acl, e.link,
              e.attrs, e.fs_id,
              hex(e.extents) AS extents
         FROM t JOIN fc_entries e ON e.path_id = t.id AND e.first_seq <= ? AND e.last_seq >= ?
        ORDER BY t.path`,
    )
    .all(id, seq, seq);
  const sizes = catalog.db
    .prepare(
      'SELECT s.entries FROM fc_folder_sizes s JOIN fc_points p ON p.pk = s.point_pk WHERE p.point_id = ? ORDER BY s.entries',
    )
    .all(pointId);
  return [...rows.map((r) => JSON.stringify(r)), `big folders: ${JSON.stringify(sizes)}`];
}

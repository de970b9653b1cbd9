import type { CatalogQueries } from './catalog-queries';
import type { EntryRow } from './catalog-rows';

/** A folder's child as a file restore needs it: the raw row (uid, gid, extents) and its path node. */
export type ChildRow = EntryRow & { name: string };

/**
 * The children of path node `pathId` as they were in the point with sequence number `seq`:
 * what a file restore walks instead of parsing the file system again. Unsorted.
 */
export function childRowsAt(queries: CatalogQueries, pathId: number, seq: number): ChildRow[] {
  return queries
    .sql(
      `SELECT n.name AS name, e.* FROM fc_paths p
         JOIN fc_names n ON n.id = p.name_id
         JOIN fc_entries e ON e.path_id = p.id AND e.last_seq >= ? AND e.first_seq <= ?
       WHERE p.parent_id = ?`,
    )
    .all(seq, seq, pathId) as ChildRow[];
}

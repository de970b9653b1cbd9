import type { CatalogDb } from '../catalog/catalog';

/** Prepared statements of delta ingests, made once per catalog. */
export class DeltaStatements {
  readonly volumeId;
  readonly pointAt;
  readonly sliceEnd;
  readonly countFiles;
  readonly setLastSeq;
  readonly deleteNew;
  readonly trimEntries;
  readonly trimChildren;
  readonly pathNode;
  readonly typeAt;
  readonly folderSizes;

  constructor(db: CatalogDb) {
    this.volumeId = db
      .prepare<[number, string], number>('SELECT id FROM fc_volumes WHERE vm_id = ? AND name = ?')
      .pluck();
    this.pointAt = db.prepare<[number, number], { pk: number; pointId: string }>(
      'SELECT pk, point_id AS pointId FROM fc_points WHERE vm_id = ? AND seq = ?',
    );
    // Slices of a volume's rows by id: fc_entries_by_volume holds (volume_id, id).
    this.sliceEnd = db
      .prepare<[number, number, number], number>(
        'SELECT id FROM fc_entries WHERE volume_id = ? AND id > ? ORDER BY id LIMIT 1 OFFSET ?',
      )
      .pluck();
    this.countFiles = db
      .prepare<[number, number, number, number, number, number], number>(
        `SELECT count(*) FROM fc_entries WHERE volume_id = ? AND id > ? AND id <= ?
           AND first_seq <= ? AND last_seq >= ? AND type <> ?`,
      )
      .pluck();
    this.setLastSeq = db.prepare<[number, number, number, number, number, number]>(
      `UPDATE fc_entries SET last_seq = ? WHERE volume_id = ? AND id > ? AND id <= ?
         AND first_seq <= ? AND last_seq >= ?`,
    );
    this.deleteNew = db.prepare<[number, number, number, number]>(
      'DELETE FROM fc_entries WHERE volume_id = ? AND id > ? AND id <= ? AND first_seq = ?',
    );
    // A version taken back to the basis: only rows this point extended (last_seq >= its seq),
    // never those it added; RETURNING type keeps the count of files exact.
    this.trimEntries = db
      .prepare<[number, string, number], number>(
        `UPDATE fc_entries SET last_seq = ? WHERE id IN (SELECT value FROM json_each(?))
           AND last_seq >= ? RETURNING type`,
      )
      .pluck();
    // The children of dropped folders, a level at a time (their folders are the next level).
    this.trimChildren = db.prepare<
      [number, string, number, number],
      { pathId: number; type: number }
    >(
      `UPDATE fc_entries SET last_seq = ?
        WHERE path_id IN (SELECT id FROM fc_paths WHERE parent_id IN (SELECT value FROM json_each(?)))
          AND first_seq <= ? AND last_seq >= ?
       RETURNING path_id AS pathId, type`,
    );
    this.pathNode = db
      .prepare<[number, string], number>('SELECT id FROM fc_paths WHERE parent_id = ? AND name = ?')
      .pluck();
    this.typeAt = db
      .prepare<[number, number, number], number>(
        'SELECT type FROM fc_entries WHERE path_id = ? AND first_seq <= ? AND last_seq >= ?',
      )
      .pluck();
    this.folderSizes = db.prepare<
      [number, number, number, number, number],
      { pathId: number; entries: number }
    >(
      `SELECT s.path_id AS pathId, s.entries AS entries FROM fc_folder_sizes s
         JOIN fc_paths p ON p.id = s.path_id
        WHERE s.point_pk = ? AND p.volume_id = ? AND EXISTS (
          SELECT 1 FROM fc_entries e
           WHERE e.path_id = s.path_id AND e.first_seq <= ? AND e.last_seq >= ? AND e.type = ?)`,
    );
  }
}

import type { CatalogDb } from '../catalog/catalog';

/** A volume's walk basis and the point it describes. */
export interface StoredWalkBasis {
  pointId: string;
  data: Uint8Array;
}

/**
 * Where an incremental walk of a volume starts from (filesystems/ext/walk-basis.ts): stored with
 * the newest indexed point of each volume only, since a delta is always taken against the
 * volume's previous indexed point. Goes with its point (ON DELETE CASCADE).
 */
export class WalkBases {
  constructor(private readonly db: CatalogDb) {}

  /**
   * The basis of the previous indexed point of volume `name` before sequence `seq` of the VM,
   * or null when that point has none (indexed before bases existed, loaded from a repository,
   * or its walk could not make one).
   */
  previous(vmId: number, name: string, seq: number): StoredWalkBasis | null {
    const row = this.db
      .prepare(
        `SELECT p.point_id AS pointId, b.data AS data
           FROM fc_volumes v
           JOIN fc_point_volumes pv ON pv.volume_id = v.id AND pv.indexed = 1
           JOIN fc_points p ON p.pk = pv.point_pk AND p.state = 'done' AND p.seq < ?
           LEFT JOIN fc_walk_bases b ON b.point_pk = p.pk AND b.volume_id = v.id
          WHERE v.vm_id = ? AND v.name = ?
          ORDER BY p.seq DESC LIMIT 1`,
      )
      .get(seq, vmId, name) as { pointId: string; data: Uint8Array | null } | undefined;
    return row?.data ? { pointId: row.pointId, data: row.data } : null;
  }

  /** Keeps a finished point's basis for volume `name`, replacing the volume's older ones. */
  keep(pointPk: number, vmId: number, name: string, data: Uint8Array): void {
    this.db
      .transaction(() => {
        const volume = this.db
          .prepare('SELECT id FROM fc_volumes WHERE vm_id = ? AND name = ?')
          .get(vmId, name) as { id: number } | undefined;
        if (!volume) return;
        this.db
          .prepare('DELETE FROM fc_walk_bases WHERE volume_id = ? AND point_pk <> ?')
          .run(volume.id, pointPk);
        this.db
          .prepare(
            'INSERT OR REPLACE INTO fc_walk_bases (point_pk, volume_id, data) VALUES (?, ?, ?)',
          )
          .run(pointPk, volume.id, data);
      })
      .immediate();
  }
}

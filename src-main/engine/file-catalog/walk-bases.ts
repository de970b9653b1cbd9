import type { CatalogDb } from '../catalog/catalog';

/**
 * Where an incremental walk of a volume starts from (filesystems/ext/walk-basis.ts): stored with
 * the newest indexed point of each volume only, since a delta is always taken against the
 * volume's previous indexed point. Goes with its point (ON DELETE CASCADE).
 */
export class WalkBases {
  constructor(private readonly db: CatalogDb) {}

  /**
   * The walk basis of volume `volumeId` kept with point `pointPk`, or null when that point has
   * none (indexed before bases existed, loaded from a repository, or its walk made none).
   */
  of(pointPk: number, volumeId: number): Uint8Array | null {
    const row = this.db
      .prepare('SELECT data FROM fc_walk_bases WHERE point_pk = ? AND volume_id = ?')
      .get(pointPk, volumeId) as { data: Uint8Array } | undefined;
    return row?.data ?? null;
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

import { GuestOs } from '../../../shared/domain/files';
import type { CatalogDb } from '../catalog/catalog';
import {
  INGEST_PAGE_CACHE_KIB,
  IngestStatements,
  PointIngest,
  type PointRef,
} from './catalog-ingest';
import { CatalogQueries } from './catalog-queries';
import { WalkBases } from './walk-bases';

export interface GcResult {
  entries: number;
  paths: number;
  names: number;
}

/**
 * The file catalog of restore points (issue 5) in the engine's SQLite catalog.
 *
 * Storage: for each VM (per repository) points get sequence numbers 1, 2, 3 …; a file version is
 * one row valid for the range [first_seq, last_seq] of its volume's lineage, so a file that does
 * not change costs one row for all points. Paths are nodes (parent, name) shared by all points;
 * names are stored once with a trigram index for search. Forgetting a point leaves every range
 * valid for the points that remain; gc removes versions no remaining point falls into.
 *
 * Write transactions are IMMEDIATE: the ingest worker writes through its own connection, and a
 * deferred transaction that read before that connection committed would fail at its first write
 * (SQLITE_BUSY_SNAPSHOT) instead of waiting for the lock.
 */
export class FileCatalog {
  readonly queries: CatalogQueries;
  /** Where incremental walks of each volume start from. */
  readonly walkBases: WalkBases;
  private readonly statements: IngestStatements;
  private active = 0;
  private gcWanted = false;
  private pageCacheBefore: number | null = null;

  constructor(private readonly db: CatalogDb) {
    this.queries = new CatalogQueries(db);
    this.walkBases = new WalkBases(db);
    this.statements = new IngestStatements(db);
  }

  /** True when the point's file index is complete in the catalog. */
  hasPoint(pointId: string): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM fc_points WHERE point_id = ? AND state = 'done'")
        .get(pointId) !== undefined
    );
  }

  /** The guest OS detected when each cataloged point was indexed, by point id. */
  guestOsByPoint(pointIds: readonly string[]): Map<string, GuestOs> {
    const found = new Map<string, GuestOs>();
    const get = this.db.prepare(
      "SELECT guest_json FROM fc_points WHERE point_id = ? AND state = 'done' AND guest_json IS NOT NULL",
    );
    for (const id of pointIds) {
      const row = get.get(id) as { guest_json: string } | undefined;
      if (!row) continue;
      const parsed = GuestOs.safeParse(JSON.parse(row.guest_json));
      if (parsed.success) found.set(id, parsed.data);
    }
    return found;
  }

  /**
   * Per VM UUID, the guest OS detected in its newest cataloged point that has one: one indexed
   * query, because the VM list asks on every inventory refresh.
   */
  latestGuestOsByVm(): Map<string, GuestOs> {
    const rows = this.db
      .prepare(
        `SELECT v.vm_uuid AS vmUuid, p.guest_json AS guestJson FROM fc_points p
           JOIN fc_vms v ON v.id = p.vm_id
          WHERE p.state = 'done' AND p.guest_json IS NOT NULL
            AND p.seq = (SELECT MAX(q.seq) FROM fc_points q
                          WHERE q.vm_id = p.vm_id AND q.state = 'done' AND q.guest_json IS NOT NULL)`,
      )
      .all() as { vmUuid: string; guestJson: string }[];
    const found = new Map<string, GuestOs>();
    for (const row of rows) {
      const parsed = GuestOs.safeParse(JSON.parse(row.guestJson));
      if (parsed.success) found.set(row.vmUuid, parsed.data);
    }
    return found;
  }

  /**
   * Starts the file index of a point. A leftover of an interrupted run for the same point is
   * dropped first. Returns null when the point is already cataloged.
   */
  beginPoint(ref: PointRef): PointIngest | null {
    const start = this.db.transaction((): PointIngest | null => {
      const existing = this.db
        .prepare('SELECT pk, state FROM fc_points WHERE point_id = ?')
        .get(ref.pointId) as { pk: number; state: string } | undefined;
      if (existing?.state === 'done') return null;
      if (existing) this.db.prepare('DELETE FROM fc_points WHERE pk = ?').run(existing.pk);
      this.db
        .prepare('INSERT INTO fc_vms (repository, vm_uuid) VALUES (?, ?) ON CONFLICT DO NOTHING')
        .run(ref.repository, ref.vmUuid);
      const vm = this.db
        .prepare('SELECT id, next_seq FROM fc_vms WHERE repository = ? AND vm_uuid = ?')
        .get(ref.repository, ref.vmUuid) as { id: number; next_seq: number };
      this.db.prepare('UPDATE fc_vms SET next_seq = ? WHERE id = ?').run(vm.next_seq + 1, vm.id);
      const pk = Number(
        this.db
          .prepare(
            "INSERT INTO fc_points (vm_id, point_id, vm_name, seq, time, state) VALUES (?, ?, ?, ?, ?, 'indexing')",
          )
          .run(vm.id, ref.pointId, ref.vmName, vm.next_seq, ref.time).lastInsertRowid,
      );
      if (this.active++ === 0) this.growPageCache();
      return new PointIngest(this.db, this.statements, pk, vm.id, vm.next_seq, () =>
        this.ingestEnded(),
      );
    });
    return start.immediate();
  }

  /** Points deleted from a repository (prune): their listings go, their unshared versions too. */
  forgetPoints(repository: string, pointIds: readonly string[]): void {
    const del = this.db.prepare(
      'DELETE FROM fc_points WHERE point_id = ? AND vm_id IN (SELECT id FROM fc_vms WHERE repository = ?)',
    );
    this.db
      .transaction(() => {
        for (const id of pointIds) del.run(id, repository);
      })
      .immediate();
    this.collectGarbage();
  }

  /**
   * Deletes versions that no remaining point falls into, then path nodes and names nothing uses.
   * Deferred while a point is being indexed: its entries belong to no finished point yet.
   */
  collectGarbage(): GcResult | null {
    if (this.active > 0) {
      this.gcWanted = true;
      return null;
    }
    this.gcWanted = false;
    return this.db
      .transaction((): GcResult => {
        // Nothing is being indexed now: an 'indexing' point is a leftover of a stopped engine.
        this.db.prepare("DELETE FROM fc_points WHERE state = 'indexing'").run();
        const entries = this.db
          .prepare(
            `DELETE FROM fc_entries WHERE NOT EXISTS (
             SELECT 1 FROM fc_points p
             WHERE p.vm_id = (SELECT vm_id FROM fc_volumes WHERE id = fc_entries.volume_id)
               AND p.seq BETWEEN fc_entries.first_seq AND fc_entries.last_seq)`,
          )
          .run().changes;
        let paths = 0;
        // Leaves first; bounded by the deepest tree a walk produces.
        for (let round = 0; round < 4097; round++) {
          const n = this.db
            .prepare(
              `DELETE FROM fc_paths WHERE NOT EXISTS (SELECT 1 FROM fc_entries e WHERE e.path_id = fc_paths.id)
               AND NOT EXISTS (SELECT 1 FROM fc_paths c WHERE c.parent_id = fc_paths.id)`,
            )
            .run().changes;
          paths += n;
          if (n === 0) break;
        }
        const orphans = this.db
          .prepare(
            'SELECT id, name_lc FROM fc_names n WHERE NOT EXISTS (SELECT 1 FROM fc_paths p WHERE p.name_id = n.id)',
          )
          .all() as { id: number; name_lc: string }[];
        const ftsDelete = this.db.prepare(
          "INSERT INTO fc_names_fts (fc_names_fts, rowid, name_lc) VALUES ('delete', ?, ?)",
        );
        const nameDelete = this.db.prepare('DELETE FROM fc_names WHERE id = ?');
        for (const o of orphans) {
          ftsDelete.run(o.id, o.name_lc);
          nameDelete.run(o.id);
        }
        return { entries, paths, names: orphans.length };
      })
      .immediate();
  }

  /** Entry rows in the catalog (for tests and the benchmark: sharing keeps this flat). */
  entryCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM fc_entries').get() as { n: number }).n;
  }

  /** The page cache grows while points are indexed (INGEST_PAGE_CACHE_KIB), then shrinks back. */
  private growPageCache(): void {
    this.pageCacheBefore = this.db.pragma('cache_size', { simple: true }) as number;
    this.db.pragma(`cache_size = ${-INGEST_PAGE_CACHE_KIB}`);
  }

  private ingestEnded(): void {
    this.active--;
    if (this.active === 0) {
      if (this.pageCacheBefore !== null) this.db.pragma(`cache_size = ${this.pageCacheBefore}`);
      this.pageCacheBefore = null;
      if (this.gcWanted) this.collectGarbage();
    }
  }
}

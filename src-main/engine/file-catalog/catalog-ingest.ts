import type { GuestOs, PointVolume } from '../../../shared/domain/files';
import { HyperkeepError } from '../../../shared/errors';
import type { CatalogDb } from '../catalog/catalog';
import { TYPE_CODES, storedAttributes } from './catalog-record';
import type { GuestAccounts } from './guest-accounts';
import { VolumeIngestWorker, sqliteModulePath } from './ingest-worker';
import type { VolumeDelta } from './volume-delta';
import { VolumeDeltaIngest, deltaError } from './volume-delta-ingest';
import { DeltaStatements } from './volume-delta-statements';
import { volumeIngestProgram, type VolumeIngest, type VolumeStatements } from './volume-ingest';

export interface PointRef {
  repository: string;
  pointId: string;
  vmUuid: string;
  vmName: string;
  /** When the point was taken (the manifest's startedAt). */
  time: string;
}

/**
 * Folders with at least this many entries get their size stored per point: a page of such a
 * folder shows the total, and counting it at listing time would visit every entry.
 */
export const BIG_FOLDER_ENTRIES = 1000;
/**
 * SQLite page cache while points are being indexed (KiB). An ingest touches every index of the
 * catalog at once; with SQLite's default 2 MB cache it reads back the pages it has just written
 * (measured: a quarter of a 70k-file ingest). Pages are allocated only as they are used.
 */
export const INGEST_PAGE_CACHE_KIB = 64 * 1024;

/** The volume ingest for this thread (the ingest worker makes its own from the same program). */
const program = volumeIngestProgram({
  typeCodes: TYPE_CODES,
  storedAttributes,
  corrupt: (message) => new HyperkeepError('INTERNAL', message, { reason: 'CORRUPT' }),
});
const { VolumeStatements: VolumeStatementsClass, VolumeIngest: VolumeIngestClass } = program;

export type { VolumeIngest };

/** Prepared statements of the write path, made once per catalog. */
export class IngestStatements {
  readonly volume: VolumeStatements;
  readonly delta: DeltaStatements;
  readonly prevSeq;
  readonly insertFolderSize;

  constructor(db: CatalogDb) {
    this.volume = new VolumeStatementsClass(db);
    this.delta = new DeltaStatements(db);
    this.prevSeq = db.prepare<[number, number], { seq: number | null }>(
      `SELECT max(p.seq) AS seq FROM fc_point_volumes v JOIN fc_points p ON p.pk = v.point_pk
       WHERE v.volume_id = ? AND v.indexed = 1 AND p.state = 'done' AND p.seq < ?`,
    );
    this.insertFolderSize = db.prepare(
      'INSERT OR REPLACE INTO fc_folder_sizes (point_pk, path_id, entries) VALUES (?, ?, ?)',
    );
  }
}

/**
 * The file index of one point being written. The point row exists from the start (state
 * 'indexing') so a concurrent gc keeps the entries it creates; `finish` makes it browsable.
 */
export class PointIngest {
  private readonly names = new Map<string, number>();
  private readonly volumes: { volumeId: number; info: PointVolume }[] = [];
  private readonly ingests: VolumeIngest[] = [];
  /** [path node, entries] of big folders counted by volumes written off-thread. */
  private readonly folderSizes: [number, number][] = [];
  private closed = false;

  constructor(
    private readonly db: CatalogDb,
    private readonly st: IngestStatements,
    readonly pointPk: number,
    readonly vmId: number,
    readonly seq: number,
    private readonly onClose: () => void,
  ) {}

  private volumeIdOf(name: string): number {
    this.db
      .prepare('INSERT INTO fc_volumes (vm_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING')
      .run(this.vmId, name);
    return (
      this.db
        .prepare('SELECT id FROM fc_volumes WHERE vm_id = ? AND name = ?')
        .get(this.vmId, name) as { id: number }
    ).id;
  }

  /** Starts the records of one volume (names as in PointVolume: vda1, vdb, vg0-root). */
  beginVolume(name: string): VolumeIngest {
    const volumeId = this.volumeIdOf(name);
    const prev = this.st.prevSeq.get(volumeId, this.seq)?.seq ?? null;
    const ingest = new VolumeIngestClass(this.st.volume, this.names, volumeId, this.seq, prev);
    this.ingests.push(ingest);
    return ingest;
  }

  /**
   * Starts the records of one volume on a worker thread with its own connection (see
   * VolumeIngestWorker); null for an in-memory catalog, which only this connection can see, or
   * when the worker could not load SQLite: then beginVolume writes it on this thread.
   */
  beginVolumeOffThread(name: string): VolumeIngestWorker | null {
    const sqlite = sqliteModulePath();
    if (this.db.memory || this.db.name === '' || sqlite === null) return null;
    const volumeId = this.volumeIdOf(name);
    return new VolumeIngestWorker(
      {
        path: this.db.name,
        volumeId,
        seq: this.seq,
        prevSeq: this.st.prevSeq.get(volumeId, this.seq)?.seq ?? null,
        cacheSize: -INGEST_PAGE_CACHE_KIB,
      },
      sqlite,
    );
  }

  /**
   * Writes one volume from what changed since its basis (VolumeDelta) instead of its whole
   * record stream: afterwards the point lists, searches and sizes the volume exactly as if
   * `beginVolume(name).add(stream)` had been given the full walk's stream, at a cost of the
   * changes plus one cheap update per row of the volume (sliced, the event loop between).
   * Returns the volume's non-folder entries in this point (as VolumeIngest.files counts them).
   *
   * The basis must be the volume's previous indexed point in the catalog (the one a full ingest
   * compares with): otherwise it throws with details.reason 'DELTA_BASIS' having written
   * nothing. A delta that contradicts itself or its basis throws 'DELTA_INCONSISTENT'. Whatever
   * it throws (also CANCELLED on `signal`), the volume's rows are put back as they were, so a
   * full walk can follow in this same point; only with reason 'DELTA_NOT_UNDONE' must the point
   * be abandoned. The caller still records the volume with addVolume, as after a full ingest.
   */
  async addVolumeDelta(
    name: string,
    delta: VolumeDelta,
    signal?: AbortSignal,
  ): Promise<{ files: number }> {
    const { volumeId, prevSeq, basis } = this.previousIndexed(name);
    if (volumeId === undefined || prevSeq === null || basis?.pointId !== delta.basisPointId)
      throw deltaError(
        'DELTA_BASIS',
        `Volume ${name} cannot be cataloged from what changed since point ${delta.basisPointId}: ${
          basis ? `its previous cataloged point is ${basis.pointId}` : 'it has no cataloged point'
        }`,
      );
    const target = {
      volumeId,
      seq: this.seq,
      prevSeq,
      basisPk: basis.pk,
      bigFolder: BIG_FOLDER_ENTRIES,
    };
    const { volume, delta: statements } = this.st;
    const writer = new VolumeDeltaIngest(program, volume, statements, this.names, target, delta);
    try {
      this.folderSizes.push(...(await writer.write(signal)));
    } catch (err) {
      // Names first stored by a transaction that was rolled back are not in the catalog.
      this.names.clear();
      throw err;
    }
    return { files: writer.files };
  }

  /**
   * The volume's previous indexed point, which a full ingest compares with and a delta must be
   * relative to. Looked up, not created: a volume never seen has none.
   */
  previousIndexed(name: string): {
    volumeId: number | undefined;
    prevSeq: number | null;
    basis: { pk: number; pointId: string } | undefined;
  } {
    const volumeId = this.st.delta.volumeId.get(this.vmId, name);
    const prevSeq =
      volumeId === undefined ? null : (this.st.prevSeq.get(volumeId, this.seq)?.seq ?? null);
    const basis = prevSeq === null ? undefined : this.st.delta.pointAt.get(this.vmId, prevSeq);
    return { volumeId, prevSeq, basis };
  }

  /** The big folders a volume written off-thread counted (VolumeIngestWorker.finish). */
  addFolderSizes(sizes: readonly [number, number][]): void {
    this.folderSizes.push(...sizes);
  }

  /** Records a volume's outcome (indexed or not, and why), in the order volumes are listed. */
  addVolume(info: PointVolume): void {
    this.volumes.push({ volumeId: this.volumeIdOf(info.name), info });
  }

  finish(accounts: GuestAccounts, guest: GuestOs | null): void {
    this.db
      .transaction(() => {
        const insert = this.db.prepare(
          'INSERT OR REPLACE INTO fc_point_volumes (point_pk, volume_id, position, indexed, info_json) VALUES (?, ?, ?, ?, ?)',
        );
        this.volumes.forEach((v, i) =>
          insert.run(this.pointPk, v.volumeId, i, v.info.indexed ? 1 : 0, JSON.stringify(v.info)),
        );
        this.db
          .prepare(
            "UPDATE fc_points SET state = 'done', accounts_json = ?, guest_json = ? WHERE pk = ?",
          )
          .run(JSON.stringify(accounts), guest ? JSON.stringify(guest) : null, this.pointPk);
        for (const ingest of this.ingests)
          for (const [pathId, entries] of ingest.folderEntries)
            if (entries >= BIG_FOLDER_ENTRIES)
              this.st.insertFolderSize.run(this.pointPk, pathId, entries);
        for (const [pathId, entries] of this.folderSizes)
          this.st.insertFolderSize.run(this.pointPk, pathId, entries);
      })
      .immediate();
    this.close();
  }

  /** Gives up: the point stays without a file catalog; its partial entries go with the next gc. */
  abandon(): void {
    if (this.closed) return;
    this.db.prepare('DELETE FROM fc_points WHERE pk = ?').run(this.pointPk);
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}

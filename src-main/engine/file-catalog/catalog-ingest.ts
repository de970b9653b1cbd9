import type { GuestOs, PointVolume } from '../../../shared/domain/files';
import { HyperkeepError } from '../../../shared/errors';
import type { CatalogDb } from '../catalog/catalog';
import { TYPE_CODES, signatureOf, type CatalogRecord } from './catalog-record';
import type { GuestAccounts } from './guest-accounts';

export interface PointRef {
  repository: string;
  pointId: string;
  vmUuid: string;
  vmName: string;
  /** When the point was taken (the manifest's startedAt). */
  time: string;
}

/** A name cache this large covers the distinct names of most guests; beyond it we query. */
const NAME_CACHE_LIMIT = 200_000;

/** Prepared statements of the write path, made once per catalog. */
export class IngestStatements {
  readonly getName;
  readonly insertName;
  readonly insertNameFts;
  readonly getPath;
  readonly insertPath;
  readonly entryAt;
  readonly extendEntry;
  readonly insertEntry;
  readonly prevSeq;

  constructor(db: CatalogDb) {
    this.getName = db.prepare<[string], { id: number }>('SELECT id FROM fc_names WHERE name = ?');
    this.insertName = db.prepare('INSERT INTO fc_names (name, name_lc) VALUES (?, ?)');
    this.insertNameFts = db.prepare('INSERT INTO fc_names_fts (rowid, name_lc) VALUES (?, ?)');
    this.getPath = db.prepare<[number, number], { id: number }>(
      'SELECT id FROM fc_paths WHERE parent_id = ? AND name_id = ?',
    );
    this.insertPath = db.prepare(
      'INSERT INTO fc_paths (volume_id, parent_id, name_id) VALUES (?, ?, ?)',
    );
    this.entryAt = db.prepare<[number, number, number], { id: number; sig: Buffer }>(
      'SELECT id, sig FROM fc_entries WHERE path_id = ? AND last_seq >= ? AND first_seq <= ? LIMIT 1',
    );
    this.extendEntry = db.prepare('UPDATE fc_entries SET last_seq = ? WHERE id = ?');
    this.insertEntry = db.prepare(
      `INSERT INTO fc_entries (path_id, volume_id, first_seq, last_seq, type, size, mtime, mode,
         uid, gid, owner, acl, link, attrs, fs_id, sig, extents)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.prevSeq = db.prepare<[number, number], { seq: number | null }>(
      `SELECT max(p.seq) AS seq FROM fc_point_volumes v JOIN fc_points p ON p.pk = v.point_pk
       WHERE v.volume_id = ? AND v.indexed = 1 AND p.state = 'done' AND p.seq < ?`,
    );
  }
}

/**
 * Writes the records of one volume of one point. An entry equal to the one the volume had in the
 * previous indexed point of the lineage only gets its range extended (last_seq), so unchanged
 * files cost nothing per point; a changed or new one gets a new version row.
 */
export class VolumeIngest {
  /** Path node of each directory record seen so far (record position → fc_paths.id). */
  private readonly dirNodes = new Map<number, number>();
  private position = 0;
  files = 0;

  constructor(
    private readonly db: CatalogDb,
    private readonly st: IngestStatements,
    private readonly names: Map<string, number>,
    readonly volumeId: number,
    private readonly seq: number,
    private readonly prevSeq: number | null,
  ) {}

  /** Adds records in stream order, in one transaction. */
  add(records: readonly CatalogRecord[]): void {
    this.db.transaction(() => {
      for (const r of records) this.addOne(r);
    })();
  }

  private addOne(r: CatalogRecord): void {
    const position = this.position++;
    let parentNode: number;
    if (r.parent < 0) parentNode = -this.volumeId;
    else {
      const node = this.dirNodes.get(r.parent);
      if (node === undefined)
        throw new HyperkeepError(
          'INTERNAL',
          `File index record ${position} (${r.name}) names parent ${r.parent}, which is not a folder before it`,
          { reason: 'CORRUPT' },
        );
      parentNode = node;
    }
    const nameId = this.nameId(r.parent < 0 ? '' : r.name);
    let pathId = this.st.getPath.get(parentNode, nameId)?.id;
    if (pathId === undefined)
      pathId = Number(this.st.insertPath.run(this.volumeId, parentNode, nameId).lastInsertRowid);
    if (r.type === 'dir') this.dirNodes.set(position, pathId);
    if (r.type !== 'dir') this.files++;

    const sig = signatureOf(r);
    if (this.prevSeq !== null) {
      const prev = this.st.entryAt.get(pathId, this.prevSeq, this.prevSeq);
      if (prev && prev.sig.equals(sig)) {
        this.st.extendEntry.run(this.seq, prev.id);
        return;
      }
    }
    this.st.insertEntry.run(
      pathId,
      this.volumeId,
      this.seq,
      this.seq,
      TYPE_CODES.indexOf(r.type),
      r.size,
      r.mtimeMs,
      r.mode,
      r.uid,
      r.gid,
      r.owner,
      r.acl,
      r.link,
      r.attrs,
      r.fsId,
      sig,
      r.extents,
    );
  }

  private nameId(name: string): number {
    const cached = this.names.get(name);
    if (cached !== undefined) return cached;
    let id = this.st.getName.get(name)?.id;
    if (id === undefined) {
      const lc = name.toLowerCase();
      id = Number(this.st.insertName.run(name, lc).lastInsertRowid);
      this.st.insertNameFts.run(id, lc);
    }
    if (this.names.size >= NAME_CACHE_LIMIT) this.names.clear();
    this.names.set(name, id);
    return id;
  }
}

/**
 * The file index of one point being written. The point row exists from the start (state
 * 'indexing') so a concurrent gc keeps the entries it creates; `finish` makes it browsable.
 */
export class PointIngest {
  private readonly names = new Map<string, number>();
  private readonly volumes: { volumeId: number; info: PointVolume }[] = [];
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
    return new VolumeIngest(this.db, this.st, this.names, volumeId, this.seq, prev);
  }

  /** Records a volume's outcome (indexed or not, and why), in the order volumes are listed. */
  addVolume(info: PointVolume): void {
    this.volumes.push({ volumeId: this.volumeIdOf(info.name), info });
  }

  finish(accounts: GuestAccounts, guest: GuestOs | null): void {
    this.db.transaction(() => {
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
    })();
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

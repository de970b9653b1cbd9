import type { GuestOs, PointVolume } from '../../../shared/domain/files';
import { HyperkeepError } from '../../../shared/errors';
import type { CatalogDb } from '../catalog/catalog';
import { TYPE_CODES, signatureOf, storedAttributes, type CatalogRecord } from './catalog-record';
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
/** Folders whose children stay known while their records arrive (a walk lists one at a time). */
const FOLDER_CACHE_LIMIT = 64;
/**
 * Folders with at least this many entries get their size stored per point: a page of such a
 * folder shows the total, and counting it at listing time would visit every entry.
 */
export const BIG_FOLDER_ENTRIES = 1000;

/** Prepared statements of the write path, made once per catalog. */
export class IngestStatements {
  readonly getName;
  readonly getNames;
  readonly insertName;
  readonly insertNamesFts;
  readonly insertPath;
  readonly children;
  readonly extendEntries;
  readonly insertEntry;
  readonly prevSeq;
  readonly insertFolderSize;

  constructor(db: CatalogDb) {
    this.getName = db.prepare<[string], { id: number }>('SELECT id FROM fc_names WHERE name = ?');
    this.getNames = db.prepare<[string], { id: number; name: string }>(
      'SELECT id, name FROM fc_names WHERE name IN (SELECT value FROM json_each(?))',
    );
    this.insertName = db.prepare<[string, string], { id: number }>(
      'INSERT INTO fc_names (name, name_lc) VALUES (?, ?) ON CONFLICT (name) DO NOTHING RETURNING id',
    );
    this.insertNamesFts = db.prepare(
      'INSERT INTO fc_names_fts (rowid, name_lc) SELECT id, name_lc FROM fc_names WHERE id IN (SELECT value FROM json_each(?))',
    );
    this.insertPath = db.prepare(
      'INSERT INTO fc_paths (volume_id, parent_id, name_id, name) VALUES (?, ?, ?, ?)',
    );
    // Every child of a folder with its version in the previous point: one query per folder
    // instead of two per file, and nothing at all per unchanged file.
    this.children = db.prepare<
      [number, number, number],
      { name: string; pathId: number; entryId: number | null; sig: Buffer | null }
    >(
      `SELECT p.name AS name, p.id AS pathId, e.id AS entryId, e.sig AS sig FROM fc_paths p
         LEFT JOIN fc_entries e ON e.path_id = p.id AND e.last_seq >= ? AND e.first_seq <= ?
       WHERE p.parent_id = ?`,
    );
    this.extendEntries = db.prepare(
      'UPDATE fc_entries SET last_seq = ? WHERE id IN (SELECT value FROM json_each(?))',
    );
    this.insertEntry = db.prepare(
      `INSERT INTO fc_entries (path_id, volume_id, first_seq, last_seq, type, size, mtime, mode,
         uid, gid, owner, acl, link, attrs, fs_id, sig, extents)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.prevSeq = db.prepare<[number, number], { seq: number | null }>(
      `SELECT max(p.seq) AS seq FROM fc_point_volumes v JOIN fc_points p ON p.pk = v.point_pk
       WHERE v.volume_id = ? AND v.indexed = 1 AND p.state = 'done' AND p.seq < ?`,
    );
    this.insertFolderSize = db.prepare(
      'INSERT OR REPLACE INTO fc_folder_sizes (point_pk, path_id, entries) VALUES (?, ?, ?)',
    );
  }
}

/** A child path node and its version in the previous point, if it had one. */
interface Child {
  pathId: number;
  prevEntry: number | null;
  prevSig: Buffer | null;
}

/**
 * Writes the records of one volume of one point. An entry equal to the one the volume had in the
 * previous indexed point of the lineage only gets its range extended (last_seq), so unchanged
 * files cost nothing per point; a changed or new one gets a new version row.
 */
export class VolumeIngest {
  /** Path node of each directory record seen so far (record position → fc_paths.id). */
  private readonly dirNodes = new Map<number, number>();
  /** Children by name of recently seen folders, least recently used first. */
  private readonly folders = new Map<number, Map<string, Child>>();
  /** Folders created by this ingest: they have no children in the catalog to look up. */
  private readonly freshFolders = new Set<number>();
  private extended: number[] = [];
  private newNames: number[] = [];
  /** Entries of each folder node in this point, for the sizes of big folders. */
  readonly folderEntries = new Map<number, number>();
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
      this.resolveNames(records);
      for (const r of records) this.addOne(r);
      if (this.extended.length > 0) {
        this.st.extendEntries.run(this.seq, JSON.stringify(this.extended));
        this.extended = [];
      }
      if (this.newNames.length > 0) {
        this.st.insertNamesFts.run(JSON.stringify(this.newNames));
        this.newNames = [];
      }
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
    const name = r.parent < 0 ? '' : r.name;
    if (r.parent >= 0)
      this.folderEntries.set(parentNode, (this.folderEntries.get(parentNode) ?? 0) + 1);
    const siblings = this.childrenOf(parentNode);
    let child = siblings.get(name);
    if (child === undefined) {
      const pathId = Number(
        this.st.insertPath.run(this.volumeId, parentNode, this.nameId(name), name).lastInsertRowid,
      );
      child = { pathId, prevEntry: null, prevSig: null };
      siblings.set(name, child);
      if (r.type === 'dir') this.freshFolders.add(pathId);
    }
    if (r.type === 'dir') this.dirNodes.set(position, child.pathId);
    else this.files++;

    const sig = signatureOf(r);
    if (child.prevEntry !== null && child.prevSig !== null && child.prevSig.equals(sig)) {
      this.extended.push(child.prevEntry);
      return;
    }
    this.st.insertEntry.run(
      child.pathId,
      this.volumeId,
      this.seq,
      this.seq,
      TYPE_CODES.indexOf(r.type),
      ...storedAttributes(r),
      sig,
      r.extents,
    );
  }

  /** The known children of a folder node, loaded with their previous versions on first use. */
  private childrenOf(node: number): Map<string, Child> {
    let children = this.folders.get(node);
    if (children !== undefined) {
      this.folders.delete(node);
      this.folders.set(node, children);
      return children;
    }
    children = new Map();
    if (!this.freshFolders.has(node)) {
      const prev = this.prevSeq ?? -1;
      for (const row of this.st.children.iterate(prev, prev, node)) {
        children.set(row.name, { pathId: row.pathId, prevEntry: row.entryId, prevSig: row.sig });
      }
    }
    this.folders.set(node, children);
    if (this.folders.size > FOLDER_CACHE_LIMIT) {
      const oldest = this.folders.keys().next().value as number;
      this.folders.delete(oldest);
      // Forgotten children get reloaded from the catalog, which now holds them too.
      this.freshFolders.delete(oldest);
    }
    return children;
  }

  /**
   * Puts the name ids of a batch in the cache: the known ones in one query, then the new ones
   * inserted. One statement per batch instead of one per name (two per new name).
   */
  private resolveNames(records: readonly CatalogRecord[]): void {
    const wanted = new Set<string>();
    for (const r of records) {
      const name = r.parent < 0 ? '' : r.name;
      if (!this.names.has(name)) wanted.add(name);
    }
    if (wanted.size === 0) return;
    if (this.names.size + wanted.size > NAME_CACHE_LIMIT) this.names.clear();
    for (const row of this.st.getNames.iterate(JSON.stringify([...wanted]))) {
      if (!wanted.delete(row.name)) continue;
      this.names.set(row.name, row.id);
    }
    // Whatever JSON could not carry exactly (lone surrogates) is found by nameId one by one.
    for (const name of wanted) {
      const inserted = this.st.insertName.get(name, name.toLowerCase());
      if (inserted === undefined) continue;
      this.newNames.push(inserted.id);
      this.names.set(name, inserted.id);
    }
  }

  private nameId(name: string): number {
    const cached = this.names.get(name);
    if (cached !== undefined) return cached;
    let id = this.st.getName.get(name)?.id;
    if (id === undefined) {
      id = this.st.insertName.get(name, name.toLowerCase())!.id;
      this.newNames.push(id);
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
  private readonly ingests: VolumeIngest[] = [];
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
    const ingest = new VolumeIngest(this.db, this.st, this.names, volumeId, this.seq, prev);
    this.ingests.push(ingest);
    return ingest;
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
      for (const ingest of this.ingests)
        for (const [pathId, entries] of ingest.folderEntries)
          if (entries >= BIG_FOLDER_ENTRIES)
            this.st.insertFolderSize.run(this.pointPk, pathId, entries);
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

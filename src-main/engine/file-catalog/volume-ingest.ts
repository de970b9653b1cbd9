import type { CatalogDb } from '../catalog/catalog';
import type { CatalogRecord, storedAttributes } from './catalog-record';

/** What the ingest takes from where it runs (the engine's thread, or the ingest worker). */
export interface VolumeIngestHost {
  /** catalog-record's TYPE_CODES: a record's type is stored as its index there. */
  typeCodes: readonly string[];
  /** catalog-record's storedAttributes: the fc_entries columns after the type, in order. */
  storedAttributes: typeof storedAttributes;
  /** The error for a record stream that breaks its own order (a damaged file index). */
  corrupt(message: string): Error;
}

/**
 * Writing the records of one volume of one point into the catalog, as classes made for a host.
 * The function is also shipped to the ingest worker thread as source text (ingest-worker.ts),
 * so it stays self-contained: only its parameter and JS globals, no imports (types are erased).
 */
export function volumeIngestProgram(host: VolumeIngestHost) {
  const typeCodes = host.typeCodes;
  const attributesOf = host.storedAttributes;
  /** In a unicode regexp a surrogate pair is one code point: this finds only unpaired halves. */
  const LONE_SURROGATE = /\p{Surrogate}/u;
  /** A name cache this large covers the distinct names of most guests; beyond it we query. */
  const NAME_CACHE_LIMIT = 200_000;
  /** Folders whose children stay known while their records arrive (a walk lists one at a time). */
  const FOLDER_CACHE_LIMIT = 64;
  /** Rows per multi-row INSERT: past ~32 the statement gets longer without getting cheaper. */
  const ROWS_PER_STATEMENT = 32;

  /** The previous version of a path as the ingest compares it (fc_entries columns). */
  interface PreviousVersion {
    entryId: number;
    type: number;
    size: number;
    mtime: number | null;
    mode: number | null;
    uid: number | null;
    gid: number | null;
    owner: string | null;
    acl: string | null;
    link: string | null;
    attrs: string | null;
    fsId: number;
    extents: Uint8Array | null;
  }

  /** A child path node and its version in the previous point, if it had one. */
  interface Child {
    pathId: number;
    prev: PreviousVersion | null;
  }

  /** True when a record is exactly the version stored before: every stored attribute, extents. */
  const sameVersion = (prev: PreviousVersion, r: CatalogRecord): boolean => {
    if (
      prev.type !== typeCodes.indexOf(r.type) ||
      prev.size !== r.size ||
      prev.mtime !== r.mtimeMs ||
      prev.mode !== r.mode ||
      prev.uid !== r.uid ||
      prev.gid !== r.gid ||
      prev.owner !== r.owner ||
      prev.acl !== r.acl ||
      prev.link !== r.link ||
      prev.attrs !== r.attrs ||
      prev.fsId !== r.fsId
    )
      return false;
    if (prev.extents === null || r.extents === null) return prev.extents === r.extents;
    if (prev.extents.length !== r.extents.length) return false;
    for (let i = 0; i < r.extents.length; i++) if (prev.extents[i] !== r.extents[i]) return false;
    return true;
  };

  /**
   * Inserts rows into one table ROWS_PER_STATEMENT per statement: an ingest writes 100k+ rows,
   * and a statement per row spent as much time crossing into SQLite as inserting. Rows wait until
   * `flush` (or a full group): flush before anything reads the table, and before the commit.
   * Values are passed as arguments, not as one array: better-sqlite3 reads an array element by
   * element through N-API, which cost a third of binding. Columns that hold the same integer in
   * every row of this ingest (`fixed`) are written into the statement instead of bound per row.
   * OR FAIL: a broken constraint fails the statement without undoing its earlier rows, so SQLite
   * keeps no statement journal for it; the error still rolls back the whole transaction.
   */
  class BulkInsert {
    private readonly many;
    private readonly one;
    private readonly width: number;
    private values: unknown[] = [];

    constructor(
      db: CatalogDb,
      table: string,
      columns: readonly string[],
      fixed: Readonly<Record<string, number>> = {},
    ) {
      this.width = columns.length;
      const constants = Object.values(fixed).map((v) => {
        if (!Number.isSafeInteger(v))
          throw new Error(`${table}: fixed value ${v} is not an integer`);
        return String(v);
      });
      const row = `(${[...columns.map(() => '?'), ...constants].join(', ')})`;
      const head = `INSERT OR FAIL INTO ${table} (${[...columns, ...Object.keys(fixed)].join(', ')}) VALUES `;
      this.many = db.prepare(head + Array<string>(ROWS_PER_STATEMENT).fill(row).join(', '));
      this.one = db.prepare(head + row);
    }

    /** Queues one row: exactly one value per column, in the constructor's order. */
    add(...row: unknown[]): void {
      for (const v of row) this.values.push(v);
      if (this.values.length === this.width * ROWS_PER_STATEMENT) {
        const values = this.values;
        this.values = [];
        this.many.run(...values);
      }
    }

    flush(): void {
      const values = this.values;
      this.values = [];
      for (let i = 0; i < values.length; i += this.width)
        this.one.run(...values.slice(i, i + this.width));
    }
  }

  /** Prepared statements of the volume write path, made once per connection. */
  class VolumeStatements {
    readonly getName;
    readonly getNames;
    readonly insertName;
    readonly insertNamesFts;
    readonly nextNameId;
    readonly nextPathId;
    readonly children;
    readonly extendEntries;

    constructor(readonly db: CatalogDb) {
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
      // New rows get their ids from the ingest (max + 1 onwards, inside its transaction), so
      // they can be inserted many per statement without reading each id back.
      this.nextNameId = db
        .prepare<[], number>('SELECT coalesce(max(id), 0) + 1 FROM fc_names')
        .pluck();
      this.nextPathId = db
        .prepare<[], number>('SELECT coalesce(max(id), 0) + 1 FROM fc_paths')
        .pluck();
      // Every child of a folder with its version in the previous point: one query per folder
      // instead of two per file, and nothing at all per unchanged file.
      this.children = db.prepare<
        [number, number, number],
        { name: string; pathId: number; entryId: number | null } & Omit<PreviousVersion, 'entryId'>
      >(
        `SELECT p.name AS name, p.id AS pathId, e.id AS entryId, e.type AS type, e.size AS size,
                e.mtime AS mtime, e.mode AS mode, e.uid AS uid, e.gid AS gid, e.owner AS owner,
                e.acl AS acl, e.link AS link, e.attrs AS attrs, e.fs_id AS fsId,
                e.extents AS extents
           FROM fc_paths p
           LEFT JOIN fc_entries e ON e.path_id = p.id AND e.last_seq >= ? AND e.first_seq <= ?
         WHERE p.parent_id = ?`,
      );
      this.extendEntries = db.prepare(
        'UPDATE fc_entries SET last_seq = ? WHERE id IN (SELECT value FROM json_each(?))',
      );
    }
  }

  /**
   * The fc_names ids of the names an ingest writes: cached across batches (and volumes), the
   * known ones looked up many per query, new ones inserted many per statement. New names go in
   * the trigram index in the same commit (`indexNew`).
   */
  class NameIds {
    private readonly rows: BulkInsert;
    /** Names added to fc_names since the last `indexNew`. */
    private fresh: number[] = [];

    constructor(
      private readonly st: VolumeStatements,
      private readonly cache: Map<string, number>,
    ) {
      this.rows = new BulkInsert(st.db, 'fc_names', ['id', 'name', 'name_lc']);
    }

    /**
     * Forgets every cached id: after a transaction that added names rolled back, the ids it
     * cached name nothing (the next volume of the point shares the cache).
     */
    rolledBack(): void {
      this.cache.clear();
      this.fresh = [];
    }

    /** Puts the ids of a batch's names in the cache (inside the batch's transaction). */
    resolve(names: readonly string[]): void {
      const wanted = new Set<string>();
      for (const name of names) if (!this.cache.has(name)) wanted.add(name);
      if (wanted.size === 0) return;
      if (this.cache.size + wanted.size > NAME_CACHE_LIMIT) this.cache.clear();
      for (const row of this.st.getNames.iterate(JSON.stringify([...wanted]))) {
        if (!wanted.delete(row.name)) continue;
        this.cache.set(row.name, row.id);
      }
      // Whatever JSON could not carry exactly (lone surrogates) is found by `id` one by one.
      for (const name of wanted) if (LONE_SURROGATE.test(name)) wanted.delete(name);
      let id = this.st.nextNameId.get()!;
      for (const name of wanted) {
        this.rows.add(id, name, name.toLowerCase());
        this.fresh.push(id);
        this.cache.set(name, id++);
      }
      this.rows.flush();
    }

    id(name: string): number {
      const cached = this.cache.get(name);
      if (cached !== undefined) return cached;
      let id = this.st.getName.get(name)?.id;
      if (id === undefined) {
        id = this.st.insertName.get(name, name.toLowerCase())!.id;
        this.fresh.push(id);
      }
      if (this.cache.size >= NAME_CACHE_LIMIT) this.cache.clear();
      this.cache.set(name, id);
      return id;
    }

    /** Every name in fc_names is in the index at every commit (gc deletes orphans from it). */
    indexNew(): void {
      if (this.fresh.length === 0) return;
      this.st.insertNamesFts.run(JSON.stringify(this.fresh));
      this.fresh = [];
    }
  }

  /**
   * Writes the records of one volume of one point. An entry equal to the one the volume had in
   * the previous indexed point of the lineage only gets its range extended (last_seq), so
   * unchanged files cost nothing per point; a changed or new one gets a new version row.
   */
  class VolumeIngest {
    /** Path node of each directory record seen so far (record position → fc_paths.id). */
    private readonly dirNodes = new Map<number, number>();
    /** Children by name of recently seen folders, least recently used first. */
    private readonly folders = new Map<number, Map<string, Child>>();
    /** Folders created by this ingest: they have no children in the catalog to look up. */
    private readonly freshFolders = new Set<number>();
    private extended: number[] = [];
    private readonly nameIds: NameIds;
    private readonly db: CatalogDb;
    private readonly pathRows: BulkInsert;
    private readonly entryRows: BulkInsert;
    /** Id of the next path node, valid inside the current `add` transaction. */
    private nextPathId = 0;
    /** Entries of each folder node in this point, for the sizes of big folders. */
    readonly folderEntries = new Map<number, number>();
    private position = 0;
    files = 0;

    constructor(
      private readonly st: VolumeStatements,
      names: Map<string, number>,
      readonly volumeId: number,
      private readonly seq: number,
      private readonly prevSeq: number | null,
    ) {
      const db = st.db;
      this.db = db;
      this.nameIds = new NameIds(st, names);
      this.pathRows = new BulkInsert(db, 'fc_paths', ['id', 'parent_id', 'name_id', 'name'], {
        volume_id: volumeId,
      });
      // Columns after `type` in the order of catalog-record's storedAttributes().
      const version = { volume_id: volumeId, first_seq: seq, last_seq: seq };
      const entryColumns = [
        'path_id',
        'type',
        'size',
        'mtime',
        'mode',
        'uid',
        'gid',
        'owner',
        'acl',
        'link',
        'attrs',
        'fs_id',
        'extents',
      ];
      this.entryRows = new BulkInsert(db, 'fc_entries', entryColumns, version);
    }

    /**
     * Adds records in stream order, in one IMMEDIATE transaction: it reads (names, next ids)
     * before it writes, and other connections write the catalog too.
     */
    add(records: readonly CatalogRecord[]): void {
      try {
        this.write(records);
      } catch (err) {
        this.nameIds.rolledBack();
        throw err;
      }
    }

    private write(records: readonly CatalogRecord[]): void {
      this.db
        .transaction(() => {
          const names = new Array<string>(records.length);
          for (let i = 0; i < records.length; i++)
            names[i] = records[i]!.parent < 0 ? '' : records[i]!.name;
          this.nameIds.resolve(names);
          this.nextPathId = this.st.nextPathId.get()!;
          for (const r of records) this.addOne(r);
          this.pathRows.flush();
          this.entryRows.flush();
          if (this.extended.length > 0) {
            this.st.extendEntries.run(this.seq, JSON.stringify(this.extended));
            this.extended = [];
          }
          this.nameIds.indexNew();
        })
        .immediate();
    }

    private addOne(r: CatalogRecord): void {
      const position = this.position++;
      let parentNode: number;
      if (r.parent < 0) parentNode = -this.volumeId;
      else {
        const node = this.dirNodes.get(r.parent);
        if (node === undefined)
          throw host.corrupt(
            `File index record ${position} (${r.name}) names parent ${r.parent}, which is not a folder before it`,
          );
        parentNode = node;
      }
      const name = r.parent < 0 ? '' : r.name;
      if (r.parent >= 0)
        this.folderEntries.set(parentNode, (this.folderEntries.get(parentNode) ?? 0) + 1);
      const siblings = this.childrenOf(parentNode);
      let child = siblings.get(name);
      if (child === undefined) {
        const pathId = this.nextPathId++;
        this.pathRows.add(pathId, parentNode, this.nameIds.id(name), name);
        child = { pathId, prev: null };
        siblings.set(name, child);
        if (r.type === 'dir') this.freshFolders.add(pathId);
      }
      if (r.type === 'dir') this.dirNodes.set(position, child.pathId);
      else this.files++;

      if (child.prev !== null && sameVersion(child.prev, r)) {
        this.extended.push(child.prev.entryId);
        return;
      }
      this.entryRows.add(child.pathId, typeCodes.indexOf(r.type), ...attributesOf(r), r.extents);
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
        this.pathRows.flush(); // the query must see this batch's nodes too
        const prev = this.prevSeq ?? -1;
        for (const row of this.st.children.iterate(prev, prev, node)) {
          const { name, pathId, entryId } = row;
          children.set(name, {
            pathId,
            prev: entryId === null ? null : { ...row, entryId },
          });
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
  }

  return { VolumeStatements, VolumeIngest, BulkInsert, NameIds, sameVersion };
}

export type VolumeIngestProgram = ReturnType<typeof volumeIngestProgram>;
export type VolumeStatements = InstanceType<VolumeIngestProgram['VolumeStatements']>;
export type VolumeIngest = InstanceType<VolumeIngestProgram['VolumeIngest']>;

import { HyperkeepError } from '../../../shared/errors';
import type { CatalogDb } from '../catalog/catalog';
import { TYPE_CODES, storedAttributes, type CatalogRecord } from './catalog-record';
import type { VolumeDelta } from './volume-delta';
import type { DeltaStatements } from './volume-delta-statements';
import type { VolumeIngestProgram, VolumeStatements } from './volume-ingest';

const DIR = TYPE_CODES.indexOf('dir');
/**
 * A delta writes in transactions of about this long, with a turn of the event loop between them
 * (the engine's thread serves the UI during backups; goal: p99 lag < 50 ms). Extending the basis
 * touches every row of the volume: measured 1.2-1.5 s per million rows in one statement, so it
 * goes in slices of rows by id, sized from the measured cost of the previous slice.
 */
const SLICE_MS = 10;
const FIRST_SLICE_ROWS = 2000;
const MIN_SLICE_ROWS = 200;
const MAX_SLICE_ROWS = 50_000;
/** Records of a listing written between two looks at the clock. */
const RECORDS_PER_CHECK = 128;
/**
 * Folders of a dropped subtree whose children are dropped per statement, and ended versions per
 * statement: a folder that went away can hold thousands of files (a man page section), and
 * one statement for all of them held the engine's thread for ~100 ms (bench).
 */
const DROP_BATCH = 16;
const TRIM_BATCH = 512;

type Program = Pick<VolumeIngestProgram, 'BulkInsert' | 'NameIds' | 'sameVersion'>;
type BulkInsert = InstanceType<Program['BulkInsert']>;
type PreviousVersion = Parameters<Program['sameVersion']>[0];

/** The point and volume a delta is written into, and its basis. */
export interface DeltaTarget {
  volumeId: number;
  seq: number;
  /** Sequence number of the basis point (the volume's previous indexed point). */
  prevSeq: number;
  basisPk: number;
  /** Folders with at least this many entries get their size stored per point. */
  bigFolder: number;
}

/** A child path node and its version in the basis point, if it had one. */
interface Child {
  pathId: number;
  prev: PreviousVersion | null;
}

/** A listing being written: the delta's children of one folder node. */
interface OpenListing {
  path: string;
  /** The folder's path node; -volumeId for the root's own record (the root node's parent). */
  node: number;
  records: readonly CatalogRecord[];
  next: number;
  children: Map<string, Child>;
  /** Children whose basis version is their version in this point too. */
  kept: Set<number>;
  /** Children that are folders in this point. */
  folders: Set<number>;
}

export function deltaError(reason: 'DELTA_BASIS' | 'DELTA_INCONSISTENT', message: string) {
  return new HyperkeepError('INTERNAL', message, { reason });
}

/**
 * Writes one volume of one point from a VolumeDelta. The volume's rows end up as a full ingest
 * of the point's whole record stream leaves them: every version of the basis is extended to
 * this point, then what the delta changes is taken back to the basis (changed, gone, and the
 * subtrees of gone folders) and the new versions are added, as VolumeIngest compares them.
 * Ranges only ever change between the basis and this point, where no other point of the volume
 * is indexed: every other point reads the same at every commit, and this one is not browsable
 * before PointIngest.finish. Between the transactions the event loop runs.
 */
export class VolumeDeltaIngest {
  /** Non-folder entries of the volume in this point, kept up to date as rows are written. */
  files = 0;
  /** Entries of each folder the delta lists, by path node. */
  private readonly listedEntries = new Map<number, number>();
  private readonly listedPaths: Set<string>;
  /** Path nodes of this point's folders by path, as far as they were needed. */
  private readonly folderNodes = new Map<string, number>();
  /** Path nodes this delta created: no children in the catalog. */
  private readonly freshNodes = new Set<number>();
  /** Folders whose listing was opened: a child they do not list as a folder is none. */
  private readonly written = new Set<string>();
  /** Index of the next folder of the delta to open; -1: the root's own record comes first. */
  private nextFolder = -1;
  private open: OpenListing | null = null;
  /** Path nodes whose children (with their subtrees) are not in this point. */
  private drops: number[] = [];
  /** Entries whose basis version ends at the basis. */
  private trims: number[] = [];
  private nextPathId = 0;
  private readonly db: CatalogDb;
  private readonly nameIds;
  private readonly pathRows: BulkInsert;
  private readonly entryRows: BulkInsert;
  private readonly sameVersion: Program['sameVersion'];

  constructor(
    program: Program,
    private readonly st: VolumeStatements,
    private readonly dst: DeltaStatements,
    names: Map<string, number>,
    private readonly target: DeltaTarget,
    private readonly delta: VolumeDelta,
  ) {
    this.db = st.db;
    this.sameVersion = program.sameVersion;
    this.nameIds = new program.NameIds(st, names);
    const { volumeId, seq } = target;
    const pathColumns = ['id', 'parent_id', 'name_id', 'name'];
    this.pathRows = new program.BulkInsert(this.db, 'fc_paths', pathColumns, {
      volume_id: volumeId,
    });
    const version = { volume_id: volumeId, first_seq: seq, last_seq: seq };
    const entryColumns = ['path_id', 'type', 'size', 'mtime', 'mode', 'uid', 'gid', 'owner'];
    entryColumns.push('acl', 'link', 'attrs', 'fs_id', 'extents');
    this.entryRows = new program.BulkInsert(this.db, 'fc_entries', entryColumns, version);
    this.listedPaths = new Set(delta.folders.map((f) => f.path));
    if (delta.root.type !== 'dir')
      throw deltaError('DELTA_INCONSISTENT', `The root of the delta is a ${delta.root.type}`);
    if (this.listedPaths.size !== delta.folders.length)
      throw deltaError('DELTA_INCONSISTENT', 'The delta lists a folder twice');
    const order = new Map(delta.folders.map((f, i) => [f.path, i]));
    delta.folders.forEach(({ path }, i) => {
      if (path === '/') return;
      if (!path.startsWith('/') || path.endsWith('/') || path.includes('//'))
        throw deltaError('DELTA_INCONSISTENT', `The delta lists a folder at "${path}"`);
      // A listing written before an ancestor's could be taken away by it: parents first.
      for (let up = path; up !== '/';) {
        up = up.slice(0, Math.max(1, up.lastIndexOf('/')));
        if ((order.get(up) ?? -1) > i)
          throw deltaError('DELTA_INCONSISTENT', `The delta lists ${path} before ${up}`);
      }
    });
  }

  /**
   * Writes the delta; returns [path node, entries] of this point's big folders. Whatever it
   * throws, the volume's rows are as before (a full walk can follow in the same point), except
   * with reason DELTA_NOT_UNDONE: then the point must be abandoned.
   */
  async write(signal?: AbortSignal): Promise<[number, number][]> {
    const { volumeId, seq, prevSeq: prev } = this.target;
    try {
      await this.slices(signal, (lo, hi) => {
        this.files += this.dst.countFiles.get(volumeId, lo, hi, prev, prev, DIR)!;
        // An abandoned run of a later point may have extended rows beyond the basis: >=.
        this.dst.setLastSeq.run(seq, volumeId, lo, hi, prev, prev);
      });
      while (!this.writeSome()) await this.pause(signal);
    } catch (err) {
      await this.undo(err);
    }
    const big: [number, number][] = [];
    for (const [node, entries] of this.listedEntries)
      if (entries >= this.target.bigFolder) big.push([node, entries]);
    const basis = this.dst.folderSizes.iterate(this.target.basisPk, volumeId, seq, seq, DIR);
    for (const { pathId, entries } of basis)
      if (!this.listedEntries.has(pathId)) big.push([pathId, entries]);
    return big;
  }

  /** The volume's rows in slices of ids, each in its own transaction, the event loop between. */
  private async slices(
    signal: AbortSignal | undefined,
    each: (lo: number, hi: number) => void,
  ): Promise<void> {
    let lo = 0;
    let rows = FIRST_SLICE_ROWS;
    let costMs = 0;
    for (;;) {
      const began = performance.now();
      const hi = this.db
        .transaction(() => {
          const end =
            this.dst.sliceEnd.get(this.target.volumeId, lo, rows - 1) ?? Number.MAX_SAFE_INTEGER;
          each(lo, end);
          return end;
        })
        .immediate();
      if (hi === Number.MAX_SAFE_INTEGER) return;
      // Follows a higher cost at once and a lower one slowly: commits vary (checkpoints).
      costMs = Math.max((performance.now() - began) / rows, costMs * 0.8);
      rows = Math.round(SLICE_MS / Math.max(costMs, 1e-4));
      rows = Math.min(MAX_SLICE_ROWS, Math.max(MIN_SLICE_ROWS, rows));
      lo = hi;
      await this.pause(signal);
    }
  }

  private async pause(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) throw new HyperkeepError('CANCELLED', 'Cataloging was cancelled');
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Puts the volume's rows back as they were: what was extended, and no new version. */
  private async undo(cause: unknown): Promise<never> {
    const { volumeId, seq, prevSeq: prev } = this.target;
    try {
      await this.slices(undefined, (lo, hi) => {
        this.dst.setLastSeq.run(prev, volumeId, lo, hi, prev, seq);
        this.dst.deleteNew.run(volumeId, lo, hi, seq);
      });
    } catch (err) {
      throw new HyperkeepError(
        'INTERNAL',
        `The file catalog could not undo a partly written volume (${String(err)}) after: ${String(cause)}`,
        { reason: 'DELTA_NOT_UNDONE' },
        { cause },
      );
    }
    throw cause;
  }

  /** One transaction's worth of the listings and dropped subtrees; true when all are written. */
  private writeSome(): boolean {
    return this.db
      .transaction(() => {
        const deadline = performance.now() + SLICE_MS;
        this.nextPathId = this.st.nextPathId.get()!;
        let done = false;
        while (!done && performance.now() < deadline) {
          if (this.trims.length > 0) this.trimSome();
          else if (this.drops.length > 0) this.dropSome();
          else if (this.open !== null) this.listSome(this.open);
          else done = !this.openNext();
        }
        this.pathRows.flush();
        this.entryRows.flush();
        this.nameIds.indexNew();
        return done;
      })
      .immediate();
  }

  /** Opens the next listing: the root's own record first, then the delta's folders in order. */
  private openNext(): boolean {
    const base = { next: 0, kept: new Set<number>(), folders: new Set<number>() };
    if (this.nextFolder === -1) {
      this.nextFolder = 0;
      const node = -this.target.volumeId;
      const children = this.childrenOf(node);
      this.open = { ...base, path: '', node, records: [this.delta.root], children };
      return true;
    }
    const folder = this.delta.folders[this.nextFolder++];
    if (folder === undefined) return false;
    const node = this.folderNode(folder.path);
    this.written.add(folder.path);
    this.listedEntries.set(node, folder.children.length);
    const children = this.childrenOf(node);
    this.open = { ...base, path: folder.path, node, records: folder.children, children };
    return true;
  }

  private listSome(listing: OpenListing): void {
    const { records, children } = listing;
    const end = Math.min(records.length, listing.next + RECORDS_PER_CHECK);
    const newNames: string[] = [];
    for (let i = listing.next; i < end; i++) {
      const name = this.nameOf(listing, records[i]!);
      if (!children.has(name)) newNames.push(name);
    }
    this.nameIds.resolve(newNames);
    for (; listing.next < end; listing.next++) this.addChild(listing, records[listing.next]!);
    if (listing.next < records.length) return;
    this.open = null;
    for (const child of children.values()) {
      if (child.prev === null) continue;
      if (!listing.kept.has(child.pathId)) this.trims.push(child.prev.entryId);
      if (child.prev.type === DIR && !listing.folders.has(child.pathId))
        this.drops.push(child.pathId);
    }
  }

  private nameOf(listing: OpenListing, r: CatalogRecord): string {
    return listing.node < 0 ? '' : r.name;
  }

  private addChild(listing: OpenListing, r: CatalogRecord): void {
    const name = this.nameOf(listing, r);
    let child = listing.children.get(name);
    if (child === undefined) {
      const pathId = this.nextPathId++;
      this.pathRows.add(pathId, listing.node, this.nameIds.id(name), name);
      child = { pathId, prev: null };
      listing.children.set(name, child);
      this.freshNodes.add(pathId);
    }
    if (r.type === 'dir') {
      const path =
        listing.node < 0 ? '/' : listing.path === '/' ? `/${name}` : `${listing.path}/${name}`;
      const same = child.prev?.type === DIR && child.prev.fsId === r.fsId;
      if (!same && !this.listedPaths.has(path))
        throw deltaError(
          'DELTA_INCONSISTENT',
          `The folder ${path} is new or another folder than in the basis, but the delta does not list it`,
        );
      listing.folders.add(child.pathId);
      this.folderNodes.set(path, child.pathId);
    }
    if (child.prev !== null && this.sameVersion(child.prev, r)) {
      listing.kept.add(child.pathId); // extended with the whole basis
      return;
    }
    this.entryRows.add(child.pathId, TYPE_CODES.indexOf(r.type), ...storedAttributes(r), r.extents);
    if (r.type !== 'dir') this.files++;
  }

  /** Ends one batch of basis versions that the new listings replace or drop. */
  private trimSome(): void {
    const { seq, prevSeq } = this.target;
    const ids = this.trims.splice(-TRIM_BATCH);
    for (const type of this.dst.trimEntries.all(prevSeq, JSON.stringify(ids), seq))
      if (type !== DIR) this.files--;
  }

  /** Ends the versions of one batch of dropped folders' children; their folders follow. */
  private dropSome(): void {
    const { seq, prevSeq } = this.target;
    const parents = this.drops.splice(-DROP_BATCH);
    for (const row of this.dst.trimChildren.all(prevSeq, JSON.stringify(parents), prevSeq, seq))
      if (row.type === DIR) this.drops.push(row.pathId);
      else this.files--;
  }

  /**
   * The path node of a folder the delta lists. A folder not reached through a listed parent
   * keeps its basis record, which must be a folder.
   */
  private folderNode(path: string): number {
    const known = this.folderNodes.get(path);
    if (known !== undefined) return known;
    const cut = path.lastIndexOf('/');
    const parent = cut === 0 ? '/' : path.slice(0, cut);
    const notFolder = () =>
      deltaError('DELTA_INCONSISTENT', `The delta lists ${path}, which is not a folder`);
    if (path === '/' || this.written.has(parent)) throw notFolder();
    const node = this.dst.pathNode.get(this.folderNode(parent), path.slice(cut + 1));
    const prev = this.target.prevSeq;
    if (node === undefined || this.dst.typeAt.get(node, prev, prev) !== DIR) throw notFolder();
    this.folderNodes.set(path, node);
    return node;
  }

  /** Every child node of a folder with its version in the basis (none for a new node). */
  private childrenOf(node: number): Map<string, Child> {
    const children = new Map<string, Child>();
    if (this.freshNodes.has(node)) return children;
    this.pathRows.flush();
    const prev = this.target.prevSeq;
    for (const row of this.st.children.iterate(prev, prev, node)) {
      const { name, pathId, entryId } = row;
      children.set(name, { pathId, prev: entryId === null ? null : { ...row, entryId } });
    }
    return children;
  }
}

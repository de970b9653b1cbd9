import type {
  FileEntry,
  FileListing,
  FileVersion,
  PointVolume,
} from '../../../shared/domain/files';
import { HyperkeepError } from '../../../shared/errors';
import type { Statement } from 'better-sqlite3';
import type { CatalogDb } from '../catalog/catalog';
import type { FileExtent } from '../filesystems/filesystem';
import {
  POINT_COLUMNS,
  POINT_FROM,
  accountsOf,
  contains,
  joinBrowsePath,
  parsePointVolume,
  splitBrowsePath,
  toFileEntry,
  type EntryRow,
  type PointRow,
} from './catalog-rows';
import { BIG_FOLDER_ENTRIES } from './catalog-ingest';
import { decodeExtents } from './extent-codec';

export interface PointSelector {
  pointId?: string | undefined;
  /** ISO 8601: the newest point at or before this moment. */
  at?: string | undefined;
}

/** A window of a folder listing: entries [offset, offset + limit) in name order. */
export interface ListPage {
  offset?: number | undefined;
  limit?: number | undefined;
}

/** A resolved path inside a point: its volume and its path node. */
export interface ResolvedPath {
  point: PointRow;
  volume: PointVolume | null;
  volumeId: number | null;
  pathId: number | null;
  parts: string[];
}

/** Reads of the file catalog: points, folders, versions. Search and diff live in their own files. */
/**
 * The points taken at or before `moment` (ISO 8601); `field` names the request field a moment
 * that does not parse came from.
 */
export function pointsAtOrBefore(points: PointRow[], moment: string, field: string): PointRow[] {
  const at = new Date(moment);
  if (Number.isNaN(at.getTime()))
    throw new HyperkeepError(
      'INVALID_INPUT',
      `"${moment}" is not a date and time (use ISO 8601, e.g. 2025-03-14T02:00:00+01:00)`,
      { field },
    );
  const iso = at.toISOString();
  return points.filter((p) => p.time <= iso);
}

export class CatalogQueries {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: CatalogDb) {}

  /** A prepared statement, compiled once: listings run a handful per request. */
  sql(text: string): Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Lineages (one per repository) of a VM given by name or UUID. */
  lineages(vm: string): number[] {
    return (
      this.sql(
        'SELECT id FROM fc_vms WHERE vm_uuid = ? UNION SELECT vm_id FROM fc_points WHERE vm_name = ?',
      ).all(vm, vm) as { id: number }[]
    ).map((r) => r.id);
  }

  /** Cataloged points of a VM (every VM without `vm`), newest first. */
  points(vm?: string): PointRow[] {
    const where = vm === undefined ? '' : `AND p.vm_id IN (${this.idList(this.lineages(vm))})`;
    return this.sql(
      `SELECT ${POINT_COLUMNS} FROM ${POINT_FROM} WHERE p.state = 'done' ${where} ORDER BY p.time DESC, p.seq DESC`,
    ).all() as PointRow[];
  }

  point(vm: string, selector: PointSelector): PointRow {
    const ids = this.lineages(vm);
    if (selector.pointId !== undefined) {
      const row = this.sql(`SELECT ${POINT_COLUMNS} FROM ${POINT_FROM} WHERE p.point_id = ?`).get(
        selector.pointId,
      ) as PointRow | undefined;
      if (!row || !ids.includes(row.vm_id) || row.state !== 'done') {
        const known = this.sql(
          'SELECT 1 FROM restore_points WHERE id = ? AND (vm_uuid = ? OR vm_name = ?)',
        ).get(selector.pointId, vm, vm);
        // A point of this VM that is not (yet) cataloged, or a point of another VM altogether.
        const ours = known || (row !== undefined && ids.includes(row.vm_id));
        throw new HyperkeepError(
          'NOT_FOUND',
          ours
            ? `Restore point ${selector.pointId} of ${vm} has no file catalog: it was taken before cataloging existed, or cataloging failed (see the backup job's warnings).`
            : `${vm} has no restore point ${selector.pointId}.`,
          { point: selector.pointId },
        );
      }
      return row;
    }
    let rows = this.points(vm);
    if (selector.at !== undefined) {
      rows = pointsAtOrBefore(rows, selector.at, 'at');
      if (rows.length === 0)
        throw new HyperkeepError(
          'NOT_FOUND',
          `${vm} has no cataloged restore point at or before ${selector.at}.`,
        );
    }
    const latest = rows[0];
    if (!latest)
      throw new HyperkeepError(
        'NOT_FOUND',
        `${vm} has no restore point with a file catalog (back it up first).`,
      );
    return latest;
  }

  volumes(point: PointRow): (PointVolume & { volumeId: number })[] {
    return (
      this.sql(
        'SELECT volume_id, info_json FROM fc_point_volumes WHERE point_pk = ? ORDER BY position',
      ).all(point.pk) as { volume_id: number; info_json: string }[]
    ).map((r) => ({ ...parsePointVolume(r.info_json), volumeId: r.volume_id }));
  }

  /** Resolves a browse path in a point; a missing component is NOT_FOUND naming the point. */
  resolve(point: PointRow, path: string): ResolvedPath {
    const parts = splitBrowsePath(path);
    if (parts.length === 0) return { point, volume: null, volumeId: null, pathId: null, parts };
    const volumes = this.volumes(point);
    const volume = volumes.find((v) => v.name === parts[0]);
    if (!volume)
      throw new HyperkeepError(
        'NOT_FOUND',
        `Restore point ${point.point_id} has no volume "${parts[0]}" (it has: ${volumes.map((v) => v.name).join(', ') || 'none'}).`,
      );
    if (!volume.indexed)
      throw new HyperkeepError(
        'NOT_FOUND',
        `Volume ${volume.name} of restore point ${point.point_id} was not indexed: ${volume.error ?? 'unknown reason'}.`,
        { volume: volume.name },
      );
    const paths = this.sql('SELECT id FROM fc_paths WHERE parent_id = ? AND name = ?');
    const getPath = (parent: number, name: string) =>
      paths.get(parent, name) as { id: number } | undefined;
    const missing = (): never => {
      throw new HyperkeepError(
        'NOT_FOUND',
        `${joinBrowsePath(parts)} does not exist in restore point ${point.point_id}.`,
        { path: joinBrowsePath(parts) },
      );
    };
    let node = getPath(-volume.volumeId, '')?.id ?? missing();
    for (const part of parts.slice(1)) node = getPath(node, part)?.id ?? missing();
    return { point, volume, volumeId: volume.volumeId, pathId: node, parts };
  }

  entryAt(pathId: number, seq: number): EntryRow | undefined {
    return this.sql(
      'SELECT * FROM fc_entries WHERE path_id = ? AND last_seq >= ? AND first_seq <= ?',
    ).get(pathId, seq, seq) as EntryRow | undefined;
  }

  /**
   * A folder of a point, sorted by name. `page` returns only entries [offset, offset + limit) and
   * the folder's `total`, so a folder of 100k files is browsed without sending it all.
   */
  list(point: PointRow, path: string, page: ListPage = {}): FileListing {
    const base = { pointId: point.point_id, pointTime: point.time };
    const resolved = this.resolve(point, path);
    if (resolved.pathId === null) {
      const entries: FileEntry[] = this.volumes(point).map((v) => ({
        name: v.name,
        path: `/${v.name}`,
        type: 'dir',
        size: 0,
        ...(v.indexed ? {} : { attributes: ['not-indexed'] }),
      }));
      return { ...base, path: '/', entries };
    }
    const browsePath = joinBrowsePath(resolved.parts);
    const accounts = accountsOf(point);
    const self = this.entryAt(resolved.pathId, point.seq);
    if (!self)
      throw new HyperkeepError(
        'NOT_FOUND',
        `${browsePath} does not exist in restore point ${point.point_id}.`,
        { path: browsePath },
      );
    if (self.type !== 1) {
      const name = resolved.parts[resolved.parts.length - 1]!;
      return {
        ...base,
        path: browsePath,
        entries: [toFileEntry(self, name, browsePath, accounts)],
      };
    }
    const prefix = browsePath === '/' ? '' : browsePath;
    const toEntry = (r: EntryRow & { name: string }) =>
      toFileEntry(r, r.name, `${prefix}/${r.name}`, accounts);
    // fc_paths_by_parent holds (parent_id, name): children come in name order without a sort.
    const folderRows = (limit: number, offset: number) =>
      this.sql(
        `SELECT p.name AS name, e.* FROM fc_paths p
           JOIN fc_entries e ON e.path_id = p.id AND e.last_seq >= ? AND e.first_seq <= ?
         WHERE p.parent_id = ? ORDER BY p.name LIMIT ? OFFSET ?`,
      ).all(point.seq, point.seq, resolved.pathId, limit, offset) as (EntryRow & {
        name: string;
      })[];
    if (page.limit === undefined && page.offset === undefined) {
      const rows = folderRows(-1, 0);
      return { ...base, path: browsePath, entries: rows.map(toEntry) };
    }
    const total = this.folderSize(point, resolved.pathId);
    const offset = Math.max(0, page.offset ?? 0);
    const limit = Math.max(0, page.limit ?? total);
    const nodes = this.sql('SELECT count(*) FROM fc_paths WHERE parent_id = ?')
      .pluck()
      .get(resolved.pathId) as number;
    // When every child node of the folder exists in this point (no file of it was deleted or
    // added by another point), entry i is node i: the page skips index entries only. Otherwise
    // the skip checks each child's version, which costs in proportion to the offset.
    const rows =
      nodes === total
        ? (this.sql(
            `SELECT p.name AS name, e.* FROM (
               SELECT id, name FROM fc_paths WHERE parent_id = ? ORDER BY name LIMIT ? OFFSET ?
             ) p JOIN fc_entries e ON e.path_id = p.id AND e.last_seq >= ? AND e.first_seq <= ?
             ORDER BY p.name`,
          ).all(resolved.pathId, limit, offset, point.seq, point.seq) as (EntryRow & {
            name: string;
          })[])
        : folderRows(limit, offset);
    return { ...base, path: browsePath, entries: rows.map(toEntry), total };
  }

  /**
   * Entries of a folder in a point. Big folders have it stored (by the ingest, or here the first
   * time for points cataloged before sizes were stored): counting visits every child's version.
   */
  private folderSize(point: PointRow, pathId: number): number {
    const stored = this.sql(
      'SELECT entries FROM fc_folder_sizes WHERE point_pk = ? AND path_id = ?',
    ).get(point.pk, pathId) as { entries: number } | undefined;
    if (stored) return stored.entries;
    const entries = this.sql(
      `SELECT count(*) FROM fc_paths p
         JOIN fc_entries e ON e.path_id = p.id AND e.last_seq >= ? AND e.first_seq <= ?
       WHERE p.parent_id = ?`,
    )
      .pluck()
      .get(point.seq, point.seq, pathId) as number;
    if (entries >= BIG_FOLDER_ENTRIES)
      this.sql(
        'INSERT OR IGNORE INTO fc_folder_sizes (point_pk, path_id, entries) VALUES (?, ?, ?)',
      ).run(point.pk, pathId, entries);
    return entries;
  }

  /**
   * One version per point that has the path, newest first; `changed` where it differs from the
   * older one, `first` for the oldest (of each lineage: a VM recreated under its name starts anew).
   */
  versions(vm: string, path: string): FileVersion[] {
    const out: FileVersion[] = [];
    for (const lineage of this.lineages(vm)) {
      const points = this.points(vm).filter((p) => p.vm_id === lineage);
      const newest = points[0];
      if (!newest) continue;
      const resolved = this.tryResolve(points, path);
      if (!resolved) continue;
      const entries = this.sql('SELECT * FROM fc_entries WHERE path_id = ?').all(
        resolved.pathId,
      ) as EntryRow[];
      const found: { point: PointRow; entry: EntryRow }[] = [];
      for (const point of points) {
        const indexed = this.volumes(point).some(
          (v) => v.volumeId === resolved.volumeId && v.indexed,
        );
        const entry = indexed ? entries.find((e) => contains(e, point.seq)) : undefined;
        if (entry) found.push({ point, entry });
      }
      const name = resolved.parts[resolved.parts.length - 1] ?? '';
      const browsePath = joinBrowsePath(resolved.parts);
      found.forEach(({ point, entry }, i) => {
        const older = found[i + 1];
        out.push({
          pointId: point.point_id,
          pointTime: point.time,
          entry: toFileEntry(entry, name, browsePath, accountsOf(point)),
          // The first appearance has nothing older to differ from: it is not a change (review M9).
          changed: older !== undefined && older.entry.id !== entry.id,
          first: older === undefined,
        });
      });
    }
    if (out.length === 0)
      throw new HyperkeepError('NOT_FOUND', `${path} is in no cataloged restore point of ${vm}.`, {
        path,
      });
    return out.sort((a, b) => (a.pointTime < b.pointTime ? 1 : a.pointTime > b.pointTime ? -1 : 0));
  }

  /** The extents stored for a file, for a file restore that reads only the file's own bytes. */
  extentsOf(
    point: PointRow,
    path: string,
  ): { volume: PointVolume; entry: FileEntry; extents: FileExtent[] | null } {
    const resolved = this.resolve(point, path);
    const row = resolved.pathId === null ? undefined : this.entryAt(resolved.pathId, point.seq);
    if (!row || !resolved.volume)
      throw new HyperkeepError(
        'NOT_FOUND',
        `${path} does not exist in restore point ${point.point_id}.`,
      );
    const browsePath = joinBrowsePath(resolved.parts);
    return {
      volume: resolved.volume,
      entry: toFileEntry(
        row,
        resolved.parts[resolved.parts.length - 1]!,
        browsePath,
        accountsOf(point),
      ),
      extents: row.extents ? decodeExtents(row.extents) : null,
    };
  }

  private tryResolve(points: PointRow[], path: string): ResolvedPath | null {
    // Path nodes are shared by the lineage: resolving in any point that has the volume finds it.
    for (const point of points) {
      try {
        const r = this.resolve(point, path);
        if (r.pathId !== null) return r;
        return null;
      } catch (err) {
        if (!(err instanceof HyperkeepError && err.code === 'NOT_FOUND')) throw err;
      }
    }
    return null;
  }

  private idList(ids: number[]): string {
    return ids.length === 0 ? '-1' : ids.map((id) => String(Math.trunc(id))).join(',');
  }
}

import type { FileDiff, FileEntry, FileSearchHit } from '../../../shared/domain/files';
import { HyperkeepError } from '../../../shared/errors';
import type { CatalogDb } from '../catalog/catalog';
import { pointsAtOrBefore, type CatalogQueries } from './catalog-queries';
import type { GuestAccounts } from './guest-accounts';
import { globToRegExp, planNameLookup } from './name-pattern';
import {
  PathNames,
  accountsOf,
  contains,
  joinBrowsePath,
  splitBrowsePath,
  toFileEntry,
  type EntryRow,
  type PointRow,
} from './catalog-rows';

export { globToLike, globToRegExp } from './name-pattern';

/** Candidate names are matched to their entries this many at a time: one query per batch. */
const NAME_BATCH = 200;

export interface SearchRequest {
  vm?: string | undefined;
  pattern: string;
  pointId?: string | undefined;
  allPoints: boolean;
  /** with allPoints: only points at or before this moment (ISO 8601) */
  before?: string | undefined;
  limit: number;
}

/**
 * Name search. One hit per version of a matching path: the newest point in scope that holds it.
 * Scope: one point, the latest point of each VM, or every point (`allPoints`), optionally only
 * those at or before `before`.
 */
export function searchFiles(
  db: CatalogDb,
  queries: CatalogQueries,
  request: SearchRequest,
): { hits: FileSearchHit[]; truncated: boolean } {
  let scope: PointRow[];
  if (request.pointId !== undefined) {
    if (request.vm === undefined) {
      const row = db
        .prepare('SELECT vm_name FROM fc_points WHERE point_id = ?')
        .get(request.pointId) as { vm_name: string } | undefined;
      if (!row)
        throw new HyperkeepError('NOT_FOUND', `No cataloged restore point ${request.pointId}.`);
      scope = [queries.point(row.vm_name, { pointId: request.pointId })];
    } else scope = [queries.point(request.vm, { pointId: request.pointId })];
  } else {
    // Without `before`, every point; with it, a search within the browsed past.
    const all =
      request.before === undefined
        ? queries.points(request.vm)
        : pointsAtOrBefore(queries.points(request.vm), request.before, 'before');
    if (request.allPoints) scope = all;
    else {
      const seen = new Set<number>();
      scope = all.filter((p) => !seen.has(p.vm_id) && seen.add(p.vm_id));
    }
  }
  // Newest first inside each lineage, so the first point containing a version is its newest.
  const byLineage = new Map<
    number,
    { point: PointRow; indexed: Set<number>; accounts: GuestAccounts }[]
  >();
  for (const point of scope) {
    const indexed = new Set(
      queries
        .volumes(point)
        .filter((v) => v.indexed)
        .map((v) => v.volumeId),
    );
    const slot = { point, indexed, accounts: accountsOf(point) };
    byLineage.set(point.vm_id, [...(byLineage.get(point.vm_id) ?? []), slot]);
  }
  if (byLineage.size === 0) return { hits: [], truncated: false };

  const lookup = planNameLookup(request.pattern);
  const exact = globToRegExp(request.pattern);
  // Entries of a batch of names in path order: neighbouring files share their table pages.
  const entriesOfNames = queries.sql(
    `SELECT v.vm_id AS vm_id, p.name AS name, p.parent_id AS parent_id, e.* FROM fc_paths p
       JOIN fc_volumes v ON v.id = p.volume_id
       JOIN fc_entries e ON e.path_id = p.id
     WHERE p.name_id IN (SELECT value FROM json_each(?))
     ORDER BY e.path_id, e.id`,
  );
  const paths = new PathNames(db);
  const hits: FileSearchHit[] = [];
  let truncated = false;
  /** Adds the hits of a batch of names; false once the limit is passed. */
  const addHits = (nameIds: number[]): boolean => {
    const rows = entriesOfNames.all(JSON.stringify(nameIds)) as (EntryRow & {
      vm_id: number;
      name: string;
      parent_id: number;
    })[];
    for (const row of rows) {
      if (row.name === '' || !exact.test(row.name)) continue;
      const candidates = byLineage.get(row.vm_id);
      const match = candidates?.find(
        (c) => c.indexed.has(row.volume_id) && contains(row, c.point.seq),
      );
      if (!match) continue;
      if (hits.length >= request.limit) {
        truncated = true;
        return false;
      }
      const path = `${paths.of(row.parent_id).path}/${row.name}`;
      hits.push({
        vmUuid: match.point.vm_uuid,
        vmName: match.point.vm_name,
        pointId: match.point.point_id,
        pointTime: match.point.time,
        entry: toFileEntry(row, row.name, path, match.accounts),
      });
    }
    return true;
  };
  let batch: number[] = [];
  for (const id of queries
    .sql(lookup.sql)
    .pluck()
    .iterate(...lookup.params) as Iterable<number>) {
    batch.push(id);
    if (batch.length < NAME_BATCH) continue;
    const more = addHits(batch);
    batch = [];
    if (!more) break;
  }
  if (batch.length > 0 && !truncated) addHits(batch);
  hits.sort((a, b) =>
    a.entry.path < b.entry.path
      ? -1
      : a.entry.path > b.entry.path
        ? 1
        : a.pointTime < b.pointTime
          ? 1
          : -1,
  );
  return { hits, truncated };
}

/** What changed below `path` from one point to another of the same VM. */
export function diffPoints(
  db: CatalogDb,
  queries: CatalogQueries,
  request: { vm: string; fromPointId: string; toPointId: string; path: string; limit: number },
): FileDiff {
  const from = queries.point(request.vm, { pointId: request.fromPointId });
  const to = queries.point(request.vm, { pointId: request.toPointId });
  if (from.vm_id !== to.vm_id)
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Points ${from.point_id} and ${to.point_id} are in different repositories: compare points of one repository.`,
    );
  const parts = splitBrowsePath(request.path);
  const prefix = joinBrowsePath(parts);
  const under = (p: string) => prefix === '/' || p === prefix || p.startsWith(`${prefix}/`);
  const fromVolumes = queries.volumes(from);
  const toVolumes = queries.volumes(to);
  const paths = new PathNames(db);
  const diff: FileDiff = { added: [], removed: [], changed: [], truncated: false };
  let count = 0;
  const push = (list: FileEntry[], row: EntryRow, point: PointRow): boolean => {
    const { path, name } = paths.of(row.path_id);
    if (!under(path)) return true;
    if (count >= request.limit) {
      diff.truncated = true;
      return false;
    }
    count++;
    list.push(toFileEntry(row, name, path, accountsOf(point)));
    return true;
  };
  const lo = Math.min(from.seq, to.seq);
  const hi = Math.max(from.seq, to.seq);
  const candidates = queries.sql(
    'SELECT * FROM fc_entries WHERE volume_id = ? AND last_seq >= ? AND first_seq <= ? ORDER BY path_id',
  );
  const volumeIds = new Set([...fromVolumes, ...toVolumes].map((v) => v.volumeId));
  for (const volumeId of volumeIds) {
    if (parts.length > 0 && paths.volumeName(volumeId) !== parts[0]) continue;
    const inFrom = fromVolumes.find((v) => v.volumeId === volumeId);
    const inTo = toVolumes.find((v) => v.volumeId === volumeId);
    // A volume that could not be indexed on one side is unknown there, not empty: skip it.
    if ((inFrom && !inFrom.indexed) || (inTo && !inTo.indexed)) continue;
    const byPath = new Map<number, { old?: EntryRow; now?: EntryRow }>();
    for (const row of candidates.iterate(volumeId, lo, hi) as Iterable<EntryRow>) {
      const a = inFrom !== undefined && contains(row, from.seq);
      const b = inTo !== undefined && contains(row, to.seq);
      if (a === b) continue; // unchanged (same version in both) or in neither
      const slot = byPath.get(row.path_id) ?? {};
      if (a) slot.old = row;
      else slot.now = row;
      byPath.set(row.path_id, slot);
    }
    for (const { old, now } of byPath.values()) {
      const ok =
        old && now
          ? push(diff.changed, now, to)
          : now
            ? push(diff.added, now, to)
            : push(diff.removed, old!, from);
      if (!ok) return diff;
    }
  }
  return diff;
}

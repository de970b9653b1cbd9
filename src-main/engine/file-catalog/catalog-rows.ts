import type { FileEntry, PointVolume } from '../../../shared/domain/files';
import { HyperkeepError } from '../../../shared/errors';
import type { CatalogDb } from '../catalog/catalog';
import { TYPE_CODES } from './catalog-record';
import { sidName, type GuestAccounts } from './guest-accounts';

/** A cataloged point as the read side needs it. */
export interface PointRow {
  pk: number;
  vm_id: number;
  point_id: string;
  vm_name: string;
  vm_uuid: string;
  repository: string;
  seq: number;
  time: string;
  state: string;
  accounts_json: string;
}

export interface EntryRow {
  id: number;
  path_id: number;
  volume_id: number;
  first_seq: number;
  last_seq: number;
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
  fs_id: number;
  extents: Buffer | null;
}

export const POINT_COLUMNS =
  'p.pk, p.vm_id, p.point_id, p.vm_name, v.vm_uuid, v.repository, p.seq, p.time, p.state, p.accounts_json';
export const POINT_FROM = 'fc_points p JOIN fc_vms v ON v.id = p.vm_id';

export function contains(row: { first_seq: number; last_seq: number }, seq: number): boolean {
  return row.first_seq <= seq && seq <= row.last_seq;
}

export function accountsOf(point: PointRow): GuestAccounts {
  try {
    return JSON.parse(point.accounts_json) as GuestAccounts;
  } catch {
    return { users: {}, groups: {} };
  }
}

export function toFileEntry(
  row: EntryRow,
  name: string,
  path: string,
  accounts: GuestAccounts,
): FileEntry {
  const owner =
    row.owner !== null
      ? sidName(row.owner)
      : row.uid !== null
        ? (accounts.users[String(row.uid)] ?? String(row.uid))
        : undefined;
  const group =
    row.gid !== null ? (accounts.groups[String(row.gid)] ?? String(row.gid)) : undefined;
  return {
    name,
    path,
    type: TYPE_CODES[row.type] ?? 'other',
    size: row.size,
    ...(row.mtime !== null ? { mtime: new Date(row.mtime).toISOString() } : {}),
    ...(row.mode !== null ? { mode: row.mode } : {}),
    ...(owner !== undefined ? { owner } : {}),
    ...(group !== undefined ? { group } : {}),
    ...(row.acl !== null ? { aclSummary: row.acl } : {}),
    ...(row.link !== null ? { linkTarget: row.link } : {}),
    ...(row.attrs !== null ? { attributes: row.attrs.split(',') } : {}),
  };
}

/** Browse path → components; '/' is []. '..' is refused rather than resolved. */
export function splitBrowsePath(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw new HyperkeepError('INVALID_INPUT', `Browse paths cannot contain "..": ${path}`, {
      field: 'path',
    });
  return parts;
}

export function joinBrowsePath(parts: readonly string[]): string {
  return `/${parts.join('/')}`;
}

/** Full browse paths of path nodes, cached: search and diff rebuild many that share parents. */
export class PathNames {
  private readonly cache = new Map<number, string>();
  private readonly volumeNames = new Map<number, string>();
  private readonly node;
  private readonly volume;

  constructor(db: CatalogDb) {
    this.node = db.prepare<[number], { parent_id: number; name: string }>(
      'SELECT parent_id, name FROM fc_paths WHERE id = ?',
    );
    this.volume = db.prepare<[number], { name: string }>(
      'SELECT name FROM fc_volumes WHERE id = ?',
    );
  }

  volumeName(volumeId: number): string {
    let name = this.volumeNames.get(volumeId);
    if (name === undefined) {
      name = this.volume.get(volumeId)?.name ?? `volume-${volumeId}`;
      this.volumeNames.set(volumeId, name);
    }
    return name;
  }

  /** Full path and own name of a path node; the walk up is bounded by the deepest walk (4096). */
  of(pathId: number): { path: string; name: string } {
    const chain: { id: number; name: string }[] = [];
    let id = pathId;
    let prefix: string | undefined;
    for (let depth = 0; depth <= 4097; depth++) {
      const cached = this.cache.get(id);
      if (cached !== undefined) {
        prefix = cached;
        break;
      }
      const node = this.node.get(id);
      if (!node)
        throw new HyperkeepError('INTERNAL', `The file catalog lost path node ${id}`, {
          reason: 'CORRUPT',
        });
      if (node.parent_id < 0) {
        prefix = `/${this.volumeName(-node.parent_id)}`;
        this.cache.set(id, prefix);
        break;
      }
      chain.push({ id, name: node.name });
      id = node.parent_id;
    }
    if (prefix === undefined)
      throw new HyperkeepError('INTERNAL', `Path node ${pathId} is deeper than any walk`, {
        reason: 'CORRUPT',
      });
    let path = prefix;
    for (let i = chain.length - 1; i >= 0; i--) {
      path = `${path}/${chain[i]!.name}`;
      if (this.cache.size < 500_000) this.cache.set(chain[i]!.id, path);
    }
    const name = chain[0]?.name ?? path.slice(1);
    return { path, name };
  }
}

export function parsePointVolume(json: string): PointVolume {
  return JSON.parse(json) as PointVolume;
}

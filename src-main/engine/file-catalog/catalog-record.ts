import type { FileType } from '../../../shared/domain/files';
import type { FileSystem, FileSystemKind, FsEntry } from '../filesystems/filesystem';
import { encodeExtents } from './extent-codec';

/**
 * One file-system object as the catalog stores it, whether it comes from walking a volume or from
 * a point's file index in the repository. Records of a volume arrive parents first; `parent` is
 * the position of the parent directory's record in that stream (-1 for the volume root).
 */
export interface CatalogRecord {
  parent: number;
  name: string;
  type: FileType;
  size: number;
  mtimeMs: number | null;
  /** Permission bits (mode & 0o7777). */
  mode: number | null;
  uid: number | null;
  gid: number | null;
  /** Owner SID (NTFS). */
  owner: string | null;
  acl: string | null;
  link: string | null;
  /** Attribute names joined by ',' (hidden, system, readonly, sparse, ads:NAME …). */
  attrs: string | null;
  /** Inode / MFT record number / FAT entry offset: hard links share it. */
  fsId: number;
  /** encodeExtents() of the file's data; null for non-files or when unreadable. */
  extents: Uint8Array | null;
}

export const TYPE_CODES: readonly FileType[] = ['file', 'dir', 'symlink', 'other'];

const NTFS_ATTRIBUTES: [number, string][] = [
  [0x1, 'readonly'],
  [0x2, 'hidden'],
  [0x4, 'system'],
  [0x100, 'temporary'],
  [0x400, 'reparse-point'],
  [0x1000, 'offline'],
];
const FAT_ATTRIBUTES: [number, string][] = [
  [0x1, 'readonly'],
  [0x2, 'hidden'],
  [0x4, 'system'],
];
/** ext i_flags a person restoring a file cares about. */
const EXT_ATTRIBUTES: [number, string][] = [
  [0x10, 'immutable'],
  [0x20, 'append-only'],
  [0x40, 'nodump'],
];

/** XFS di_flags a person restoring a file cares about. */
const XFS_ATTRIBUTES: [number, string][] = [
  [0x8, 'immutable'],
  [0x10, 'append-only'],
  [0x80, 'nodump'],
];

/** An attribute table with the union of its bits. */
const tableOf = (bits: [number, string][]) => ({ bits, mask: bits.reduce((m, [b]) => m | b, 0) });
const NTFS_TABLE = tableOf(NTFS_ATTRIBUTES);
const FAT_TABLE = tableOf(FAT_ATTRIBUTES);
const EXT_TABLE = tableOf(EXT_ATTRIBUTES);
const XFS_TABLE = tableOf(XFS_ATTRIBUTES);
const TABLES: Record<FileSystemKind, typeof EXT_TABLE> = {
  ext: EXT_TABLE,
  ntfs: NTFS_TABLE,
  fat: FAT_TABLE,
  xfs: XFS_TABLE,
};

const NO_ATTRIBUTES: readonly string[] = Object.freeze([]);

export function attributeNames(kind: FileSystemKind, entry: FsEntry): readonly string[] {
  const table = TABLES[kind];
  const bits = entry.attributes ?? 0;
  // Most files have none: no arrays made for them (a walk asks for every file).
  const { compressed, sparse, encrypted } = entry.flags;
  if (!compressed && !sparse && !encrypted && !entry.streams?.length && (bits & table.mask) === 0)
    return NO_ATTRIBUTES;
  const out = table.bits.filter(([bit]) => (bits & bit) !== 0).map(([, name]) => name);
  if (entry.flags.compressed) out.push('compressed');
  if (entry.flags.sparse) out.push('sparse');
  if (entry.flags.encrypted) out.push('encrypted');
  for (const s of entry.streams ?? []) out.push(`ads:${s.name}`);
  return out;
}

/** The record of a walked entry; `parent` and `extents` are filled in by the indexer. */
export function recordOf(
  kind: FileSystemKind,
  entry: FsEntry,
  parent: number,
  extents: Uint8Array | null,
): CatalogRecord {
  const attrs = attributeNames(kind, entry);
  const mtime = entry.mtime?.getTime();
  return {
    parent,
    name: entry.name,
    type: entry.type,
    size: entry.type === 'dir' ? 0 : entry.size,
    mtimeMs: mtime !== undefined && Number.isFinite(mtime) ? mtime : null,
    mode: entry.mode !== undefined ? entry.mode & 0o7777 : null,
    uid: entry.uid ?? null,
    gid: entry.gid ?? null,
    owner: entry.owner ?? null,
    acl: entry.aclSummary ?? null,
    link: entry.symlinkTarget ?? null,
    attrs: attrs.length > 0 ? attrs.join(',') : null,
    fsId: entry.id,
    extents,
  };
}

/**
 * A record's attributes in the order the catalog stores them everywhere: the fc_entries columns
 * after the type and the point index object's fields. Changing the order changes stored index
 * objects. Also shipped to the ingest worker as source text (ingest-worker.ts): it stays
 * self-contained.
 */
export function storedAttributes(r: CatalogRecord) {
  return [
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
  ] as const;
}

/**
 * A file's extents as the catalog stores them: null for what is not a file, undefined when they
 * could not be read (the record is kept without them, and the walk counts it).
 */
export async function catalogExtents(
  fs: FileSystem,
  entry: FsEntry,
): Promise<Uint8Array | null | undefined> {
  if (entry.type !== 'file') return null;
  try {
    return encodeExtents(fs.extentsIfReady(entry) ?? (await fs.extents(entry)));
  } catch {
    return undefined;
  }
}

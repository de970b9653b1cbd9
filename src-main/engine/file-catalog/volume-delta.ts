import type { CatalogRecord } from './catalog-record';

/**
 * One folder whose listing is given anew: its path and every child record exactly as a full walk
 * of the new point produces them. The `parent` field of the children is ignored (it is this
 * folder).
 */
export interface ChangedFolder {
  /** Volume-relative path as FsEntry.path has it: '/' for the root, '/etc', '/usr/share/doc'. */
  path: string;
  children: CatalogRecord[];
}

/**
 * What changed in one volume between its basis point (the previous point of the same volume
 * indexed in the catalog, whose file index is known) and the point being indexed, in the terms
 * of a full walk. Cataloging an incremental point from it costs what changed, not the volume's
 * size.
 *
 * Meaning: the new point's listing of a folder is the one given here when the folder's path is
 * in `folders`, and otherwise the basis point's listing of the same path, recursively. Hence:
 * - a child folder that is new at its path, or that is another folder than before (its `fsId`
 *   changed, or the path was a file before), has its own entry in `folders`, even when empty,
 *   and so have all of its sub-folders;
 * - a child that is gone from its folder's listing, or that is no longer a folder, takes its
 *   whole subtree with it;
 * - `folders` come parents first: a folder's own record is in its parent's listing earlier in
 *   the list, or unchanged in the basis.
 */
export interface VolumeDelta {
  /** Point id of the basis point the delta is relative to. */
  basisPointId: string;
  /** The root folder's own record (parent -1, name ''), as the full walk yields it. */
  root: CatalogRecord;
  folders: ChangedFolder[];
}

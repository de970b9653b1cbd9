import type { CatalogRecord } from '../../../../src-main/engine/file-catalog/catalog-record';
import { encodeExtents } from '../../../../src-main/engine/file-catalog/extent-codec';
import {
  PointIndexEncoder,
  decodePointIndex,
  encodeRecordLine,
} from '../../../../src-main/engine/file-catalog/point-index-object';
import type { VolumeDelta } from '../../../../src-main/engine/file-catalog/volume-delta';

/**
 * Volume trees for the point index tests: made from paths, encoded as a walk yields them, compared
 * after decoding, and the VolumeDelta between two of them as a delta walk would produce it.
 */

/** A volume's tree: every path ('/' for the root) with its record; `parent` is not used. */
export type Tree = Map<string, CatalogRecord>;

let nextFsId = 100;
/** An fsId no other record made here has: another file or folder. */
export const freshFsId = () => nextFsId++;
export const record = (
  name: string,
  type: CatalogRecord['type'],
  more: Partial<CatalogRecord> = {},
): CatalogRecord => ({
  parent: 0,
  name,
  type,
  size: type === 'file' ? 12 : 0,
  mtimeMs: 1714564800000,
  mode: 0o644,
  uid: 0,
  gid: 0,
  owner: null,
  acl: null,
  link: type === 'symlink' ? '../target' : null,
  attrs: null,
  fsId: freshFsId(),
  extents:
    type === 'file'
      ? encodeExtents([{ kind: 'data', fileOffset: 0, length: 12, volumeOffset: 4096 * nextFsId }])
      : null,
  ...more,
});

export const parentOf = (path: string) => {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
};
export const nameOf = (path: string) => (path === '/' ? '' : path.slice(path.lastIndexOf('/') + 1));
export const join = (path: string, name: string) => (path === '/' ? `/${name}` : `${path}/${name}`);

/** A tree from paths; a path ending in '/' is a folder. Missing parents are made folders. */
export function treeOf(...paths: string[]): Tree {
  const tree: Tree = new Map([['/', record('', 'dir', { fsId: 2 })]]);
  const add = (path: string, type: CatalogRecord['type']) => {
    if (tree.has(path)) return;
    add(parentOf(path), 'dir');
    tree.set(path, record(nameOf(path), type));
  };
  for (const p of paths)
    if (p.endsWith('/')) add(p.slice(0, -1), 'dir');
    else add(p, p.includes('->') ? 'symlink' : 'file');
  return tree;
}

/** What a person sees of a record: every field, in the stored form. */
export const seen = (r: CatalogRecord) => encodeRecordLine(0, { ...r, parent: 0 });

export function listingsOf(tree: Tree): Map<string, string[]> {
  const kids = new Map<string, string[]>();
  for (const path of tree.keys()) {
    if (path === '/') continue;
    const up = parentOf(path);
    const listing = kids.get(up);
    if (listing) listing.push(path);
    else kids.set(up, [path]);
  }
  return kids;
}

/** The records a walk yields: a folder's listing at a time, breadth first. */
export function walkRecords(tree: Tree): { records: CatalogRecord[]; folders: string[] } {
  const kids = listingsOf(tree);
  const records = [{ ...tree.get('/')!, parent: -1 }];
  const folders: [string, number][] = [['/', 0]];
  for (const [path, position] of folders)
    for (const child of kids.get(path) ?? []) {
      const r = tree.get(child)!;
      records.push({ ...r, parent: position });
      if (r.type === 'dir') folders.push([child, records.length - 1]);
    }
  return { records, folders: folders.map(([p]) => p) };
}

/** The delta a delta walk would produce between two trees of a volume. */
export function deltaBetween(before: Tree, after: Tree, basisPointId: string): VolumeDelta {
  const kidsBefore = listingsOf(before);
  const kidsAfter = listingsOf(after);
  const listing = (tree: Tree, kids: Map<string, string[]>, path: string) =>
    (kids.get(path) ?? []).map((p) => seen(tree.get(p)!)).sort();
  const fresh = new Set<string>();
  const folders: VolumeDelta['folders'] = [];
  for (const path of walkRecords(after).folders) {
    const was = before.get(path);
    if (
      !was ||
      was.type !== 'dir' ||
      was.fsId !== after.get(path)!.fsId ||
      (path !== '/' && fresh.has(parentOf(path)))
    )
      fresh.add(path);
    const same =
      JSON.stringify(listing(before, kidsBefore, path)) ===
      JSON.stringify(listing(after, kidsAfter, path));
    if (fresh.has(path) || !same)
      folders.push({ path, children: (kidsAfter.get(path) ?? []).map((p) => after.get(p)!) });
  }
  return { basisPointId, root: { ...after.get('/')!, parent: -1 }, folders };
}

export const volumeInfo = (name: string) => ({
  name,
  disk: 'vda',
  offsetBytes: 0,
  sizeBytes: 1 << 30,
  indexed: true,
});

export function objectOf(point: string, volumes: [string, Tree][]): Uint8Array {
  const encoder = new PointIndexEncoder();
  volumes.forEach(([, tree], slot) => encoder.add(slot, walkRecords(tree).records));
  return encoder.finish({
    point,
    volumes: volumes.map(([name]) => volumeInfo(name)),
    accounts: { users: {}, groups: {} },
    guest: null,
  });
}

/** A volume of an index object as paths → records, checking parents come first. */
export function decodedTree(data: Uint8Array, point: string, volume: string): Tree {
  const decoded = decodePointIndex(data, point);
  const slot = decoded.header.volumes.findIndex((v) => v.name === volume);
  const records = [...decoded.records()].filter((r) => r.volume === slot).map((r) => r.record);
  const paths: string[] = [];
  const tree: Tree = new Map();
  records.forEach((r, i) => {
    const up = records[r.parent];
    if (i === 0 ? r.parent !== -1 : r.parent < 0 || r.parent >= i || up?.type !== 'dir')
      throw new Error(`record ${i} (${r.name}) has parent ${r.parent}`);
    const path = i === 0 ? '/' : join(paths[r.parent]!, r.name);
    if (tree.has(path)) throw new Error(`${path} twice`);
    paths.push(path);
    tree.set(path, r);
  });
  return tree;
}

/** Every path with every attribute of its record (not its parent's position), to compare. */
export const seenTree = (tree: Tree) => new Map([...tree].map(([p, r]) => [p, seen(r)]));

/**
 * Volumes as trees of records for the delta ingest tests: the full walk's record stream of a
 * tree, and the delta a file system reports between two trees (volume-delta.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import type { CatalogRecord } from '../../../../src-main/engine/file-catalog/catalog-record';
import type { VolumeDelta } from '../../../../src-main/engine/file-catalog/volume-delta';

/** A volume as path → record ('/' the root, '/etc/hosts' …). */
export type Attrs = Omit<CatalogRecord, 'parent' | 'name'>;
export type Tree = Map<string, Attrs>;

export const T0 = Date.UTC(2025, 0, 1);
export const file = (fsId: number, content: string, more: Partial<Attrs> = {}): Attrs => ({
  type: 'file',
  size: content.length,
  mtimeMs: T0 + content.length * 1000,
  mode: 0o644,
  uid: 1000,
  gid: 1000,
  owner: null,
  acl: null,
  link: null,
  attrs: null,
  fsId,
  extents: Buffer.from(content),
  ...more,
});
export const dir = (fsId: number, more: Partial<Attrs> = {}): Attrs => ({
  ...file(fsId, '', { type: 'dir', mode: 0o755, extents: null }),
  ...more,
});

export const parentOf = (path: string) => path.slice(0, Math.max(1, path.lastIndexOf('/')));
const nameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** Children of each folder in name order. */
function listings(tree: Tree): Map<string, [string, Attrs][]> {
  const out = new Map<string, [string, Attrs][]>();
  for (const [path, attrs] of [...tree].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (attrs.type === 'dir') out.set(path, out.get(path) ?? []);
    if (path === '/') continue;
    const siblings = out.get(parentOf(path));
    if (!siblings) throw new Error(`${path} has no parent folder`);
    siblings.push([nameOf(path), attrs]);
  }
  return out;
}

/** The record stream of a full walk: a folder's listing at a time, parents first. */
export function stream(tree: Tree): CatalogRecord[] {
  const children = listings(tree);
  const out: CatalogRecord[] = [{ parent: -1, name: '', ...tree.get('/')! }];
  const queue: [string, number][] = [['/', 0]];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [path, position] = next;
    for (const [name, attrs] of children.get(path)!) {
      if (attrs.type === 'dir')
        queue.push([path === '/' ? `/${name}` : `${path}/${name}`, out.length]);
      out.push({ parent: position, name, ...attrs });
    }
  }
  return out;
}

/** The delta a file system would report from `before` to `after` (volume-delta.ts). */
export function deltaOf(before: Tree, after: Tree, basisPointId: string): VolumeDelta {
  const oldListings = listings(before);
  const newListings = listings(after);
  const renewed = new Set<string>();
  const folders = [];
  for (const [path, children] of newListings) {
    const was = before.get(path);
    if (was?.type !== 'dir' || was.fsId !== after.get(path)!.fsId || renewed.has(parentOf(path)))
      renewed.add(path);
    if (renewed.has(path) || !isDeepStrictEqual(children, oldListings.get(path)))
      folders.push({
        path,
        children: children.map(([name, a]) => ({ parent: 12345, name, ...a })),
      });
  }
  return { basisPointId, root: { parent: -1, name: '', ...after.get('/')! }, folders };
}

export function bigFolder(prefix: string, count: number, firstId: number): [string, Attrs][] {
  return Array.from({ length: count }, (_, i) => {
    const name = `f-${String(i).padStart(4, '0')}`;
    return [`${prefix}/${name}`, file(firstId + i, `content ${i}`)];
  });
}

/**
 * Random changes to a tree, repeatable from a seed: few names, so paths come and go and come
 * back (as a file, as a folder, as another folder), files change, folders get another fsId.
 */
export class RandomChanges {
  private static readonly NAMES = ['a', 'b', 'c', 'lib', 'x.txt', 'y.log'];
  private nextId = 100;

  constructor(private seed: number) {}

  /** A tree of a few folders levels deep. */
  tree(): Tree {
    const t: Tree = new Map([['/', dir(2)]]);
    for (const name of ['a', 'b', 'c']) this.addSubtree(t, `/${name}`, 3);
    return t;
  }

  changed(before: Tree): Tree {
    const t = new Map(before);
    for (let k = 1 + this.below(5); k > 0; k--) {
      const path = this.pick([...t.keys()]);
      const attrs = t.get(path)!;
      const free = this.join(this.pick([...t].filter(([, a]) => a.type === 'dir').map(([p]) => p)));
      const change = this.below(8);
      if (path === '/') t.set('/', { ...attrs, mtimeMs: attrs.mtimeMs! + 1 });
      else if (change === 0) this.remove(t, path);
      else if (change === 1 && !t.has(free)) t.set(free, this.file());
      else if (change === 2 && !t.has(free)) this.addSubtree(t, free, 2);
      // Another name for the same file (a hard link), or an empty folder.
      else if (change === 3 && !t.has(free))
        t.set(free, attrs.type === 'dir' ? dir(this.nextId++) : attrs);
      else if (attrs.type === 'file' && change === 4) t.set(path, file(attrs.fsId, this.content()));
      else if (attrs.type === 'file') {
        this.remove(t, path);
        this.addSubtree(t, path, 1);
      } else if (change === 4) {
        this.remove(t, path);
        t.set(path, this.file());
      } else if (change === 5) t.set(path, { ...attrs, fsId: this.nextId++ });
      else t.set(path, { ...attrs, mtimeMs: attrs.mtimeMs! + 1000 });
    }
    return t;
  }

  private remove(t: Tree, path: string): void {
    for (const p of [...t.keys()]) if (p === path || p.startsWith(`${path}/`)) t.delete(p);
  }

  private addSubtree(t: Tree, path: string, depth: number): void {
    t.set(path, dir(this.nextId++));
    for (let n = this.below(4); n > 0; n--) {
      const child = `${path}/${this.pick(RandomChanges.NAMES)}`;
      if (t.has(child)) continue;
      if (depth > 0 && this.below(5) < 2) this.addSubtree(t, child, depth - 1);
      else t.set(child, this.file());
    }
  }

  private join(folder: string): string {
    const name = this.pick(RandomChanges.NAMES);
    return folder === '/' ? `/${name}` : `${folder}/${name}`;
  }

  private file(): Attrs {
    return file(this.nextId++, this.content(), this.below(5) === 0 ? { mode: 0o600 } : {});
  }

  private content(): string {
    return `c${this.below(5)}`;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  private below(n: number): number {
    this.seed = (this.seed * 1103515245 + 12345) & 0x7fffffff;
    return Math.floor((this.seed / 0x80000000) * n);
  }
}

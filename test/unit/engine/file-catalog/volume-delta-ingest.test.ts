/**
 * A volume written from what changed since its basis point (PointIngest.addVolumeDelta) answers
 * every listing, version history, search, file count and big-folder size exactly as the same
 * point written from its full walk; a delta that does not fit is refused or undone so a full
 * walk can follow in the same point.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RandomChanges, bigFolder, deltaOf, dir, file, stream, T0, type Tree } from './delta-trees';
import { openTempCatalog, type TempCatalog } from './temp-catalog';
import type { PointVolume } from '../../../../shared/domain/files';
import { searchFiles } from '../../../../src-main/engine/file-catalog/catalog-search';
import type { PointIngest } from '../../../../src-main/engine/file-catalog/catalog-ingest';
import type { VolumeDelta } from '../../../../src-main/engine/file-catalog/volume-delta';

const VM = { uuid: '11111111-2222-3333-4444-555555555555', name: 'web-01' };
const VOLUME: PointVolume = {
  name: 'vda1',
  disk: 'vda',
  offsetBytes: 1048576,
  sizeBytes: 1 << 30,
  filesystem: 'ext4',
  indexed: true,
};

const P1: Tree = new Map([
  ['/', dir(2)],
  ['/etc', dir(10)],
  ['/etc/hostname', file(11, 'web-01')],
  ['/etc/hosts', file(12, '127.0.0.1 localhost')],
  ['/home', dir(20)],
  ['/home/alice', dir(21)],
  ['/home/alice/notes.txt', file(22, 'v1')],
  ['/home/alice/report.txt', file(23, 'quarterly')],
  ['/home/alice/old.log', file(24, 'old')],
  ['/home/alice/photo.jpg', file(25, 'jpeg bytes')],
  ['/home/alice/link-a', file(26, 'one inode, two names')],
  ['/srv', dir(30)],
  ['/srv/link-b', file(26, 'one inode, two names')],
  ['/srv/data', dir(31)],
  ['/srv/data/deep', dir(32)],
  ['/srv/data/deep/a', dir(33)],
  ['/srv/data/deep/a/top.txt', file(39, 'top')],
  ['/srv/data/deep/a/b', dir(34)],
  ['/srv/data/deep/a/b/c', dir(35)],
  ['/srv/data/deep/a/b/c/d', dir(36)],
  ['/srv/data/deep/a/b/c/d/leaf.txt', file(37, 'leaf v1')],
  ['/srv/data/deep/a/b/c/d/other.txt', file(38, 'other')],
  ['/tmp', dir(40)],
  ['/tmp/cache', dir(41)],
  ['/tmp/cache/index', file(46, 'index')],
  ['/tmp/cache/x', dir(42)],
  ['/tmp/cache/x/k.bin', file(45, 'k')],
  ['/tmp/cache/x/y', dir(43)],
  ['/tmp/cache/x/y/z.bin', file(44, 'zzz')],
  ['/tmp/keep.txt', file(47, 'keep')],
  ['/opt', dir(50)],
  ['/opt/tool', dir(51)],
  ['/opt/tool/bin', dir(52)],
  ['/opt/tool/bin/run', file(53, '#!/bin/sh')],
  ['/opt/readme', file(54, 'read me')],
  ['/var', dir(60)],
  ['/var/lib', dir(61)],
  ['/var/lib/db', dir(62)],
  ['/var/lib/db/data.db', file(63, 'rows')],
  ['/var/lib/db/wal', file(64, 'wal')],
  ['/var/lib/db/sub', dir(65)],
  ['/var/lib/db/sub/s.txt', file(66, 's')],
  ['/mtime-only', dir(80)],
  ['/mtime-only/a', file(81, 'a')],
  ['/usr', dir(90)],
  ['/usr/local', dir(91)],
  ['/big', dir(70)],
  ...bigFolder('/big', 1200, 1000),
  ['/big2', dir(71)],
  ...bigFolder('/big2', 1000, 3000),
  ['/big3', dir(72)],
  ...bigFolder('/big3', 1000, 5000),
]);

/** P1 with every kind of change a point brings. */
function pointTwo(): Tree {
  const t = new Map(P1);
  t.set('/', dir(2, { mtimeMs: T0 + 99_000 }));
  t.set('/etc/hosts', { ...P1.get('/etc/hosts')!, mode: 0o600 });
  t.set('/etc/localtime', file(13, '', { type: 'symlink', link: '/usr/share/zoneinfo/UTC' }));
  t.set('/home/alice/notes.txt', file(22, 'v2 longer'));
  t.set('/home/alice/report.txt', file(23, 'QUARTERLY')); // only the extents change
  t.set('/home/alice/new.txt', file(27, 'new'));
  t.delete('/home/alice/old.log');
  t.delete('/home/alice/photo.jpg');
  t.set('/home/alice/picture.jpg', file(25, 'jpeg bytes'));
  t.set('/home/alice/link-a', file(26, 'one inode, two names, changed'));
  t.set('/srv/link-b', file(26, 'one inode, two names, changed'));
  t.set('/srv/data/deep/a/b/c/d/leaf.txt', file(37, 'leaf v2'));
  for (const path of [...t.keys()]) if (path.startsWith('/tmp/cache')) t.delete(path);
  for (const path of [...t.keys()]) if (path.startsWith('/opt/tool/')) t.delete(path);
  t.set('/opt/tool', file(55, 'now a file'));
  t.set('/opt/readme', dir(56));
  t.set('/opt/readme/README.md', file(57, '# Read me'));
  t.set('/opt/readme/docs', dir(58));
  t.set('/opt/readme/docs/guide.txt', file(59, 'guide'));
  t.set('/var/lib/db', dir(67)); // another folder at the same path, partly the same files
  t.delete('/var/lib/db/wal');
  t.set('/var/lib/db/journal', file(68, 'journal'));
  t.set('/mtime-only', dir(80, { mtimeMs: T0 + 5000 }));
  t.set('/usr/local/newapp', dir(92));
  t.set('/usr/local/newapp/bin', dir(93));
  t.set('/usr/local/newapp/bin/qzxv-Überflieger.cfg', file(94, 'never seen'));
  t.set('/usr/local/newapp/share', dir(95));
  t.set('/usr/local/newapp/share/doc', dir(96));
  t.set('/usr/local/newapp/share/doc/README', file(97, 'docs'));
  t.set('/usr/local/newapp/empty', dir(98));
  t.set('/big/f-0500', file(1500, 'changed 500'));
  t.delete('/big3/f-0999');
  return t;
}

/** Point two with folders coming back at paths they had in point one, and a big one gone. */
function pointThree(two: Tree): Tree {
  const t = new Map(two);
  t.set('/tmp/cache', dir(48));
  t.set('/tmp/cache/index', file(46, 'index'));
  t.set('/opt/tool', dir(51));
  t.set('/opt/tool/bin', dir(52));
  t.set('/opt/tool/bin/run', file(53, '#!/bin/sh'));
  for (const path of [...t.keys()]) if (path === '/big' || path.startsWith('/big/')) t.delete(path);
  t.set('/big3/f-1000', file(6000, 'one more'));
  for (const path of [...t.keys()]) if (path.startsWith('/usr/local/newapp/share')) t.delete(path);
  t.set('/home/alice/new.txt', file(27, 'new, again'));
  return t;
}

let full: TempCatalog;
let byDelta: TempCatalog;
beforeEach(() => {
  full = openTempCatalog('hk-delta-full-');
  byDelta = openTempCatalog('hk-delta-');
});
afterEach(() => {
  full.remove();
  byDelta.remove();
});

function begin(temp: TempCatalog, pointId: string, minute: number): PointIngest {
  return temp.catalog.beginPoint({
    repository: 'default',
    pointId,
    vmUuid: VM.uuid,
    vmName: VM.name,
    time: new Date(T0 + minute * 60_000).toISOString(),
  })!;
}
const finish = (ingest: PointIngest) => {
  ingest.addVolume(VOLUME);
  ingest.finish({ users: { '1000': 'alice' }, groups: { '1000': 'staff' } }, null);
};

function fullPoint(temp: TempCatalog, pointId: string, minute: number, tree: Tree): number {
  const ingest = begin(temp, pointId, minute);
  const writer = ingest.beginVolume('vda1');
  writer.add(stream(tree));
  finish(ingest);
  return writer.files;
}

async function deltaPoint(pointId: string, minute: number, delta: VolumeDelta): Promise<number> {
  const ingest = begin(byDelta, pointId, minute);
  const { files } = await ingest.addVolumeDelta('vda1', delta);
  finish(ingest);
  return files;
}

/** Every version row by path, range and attributes: catalogs that agree here answer alike. */
function versionRows(temp: TempCatalog): string[] {
  const rows = temp.db
    .prepare(
      `WITH RECURSIVE tree (id, path) AS (
         SELECT id, '' FROM fc_paths WHERE parent_id < 0
         UNION ALL SELECT p.id, tree.path || '/' || p.name FROM fc_paths p JOIN tree ON p.parent_id = tree.id)
       SELECT tree.path, e.first_seq, e.last_seq, e.type, e.size, e.mtime, e.mode, e.uid, e.gid,
              e.owner, e.acl, e.link, e.attrs, e.fs_id, hex(e.extents) AS extents
         FROM tree JOIN fc_entries e ON e.path_id = tree.id`,
    )
    .all();
  return rows.map((r) => JSON.stringify(r)).sort();
}

/** Stored sizes of big folders: read before any listing, which stores missing ones. */
function folderSizes(temp: TempCatalog): string[] {
  const rows = temp.db
    .prepare(
      'SELECT p.point_id AS point, s.path_id AS node, s.entries FROM fc_folder_sizes s JOIN fc_points p ON p.pk = s.point_pk',
    )
    .all() as { point: string; node: number; entries: number }[];
  const path = temp.db.prepare('SELECT parent_id AS parent, name FROM fc_paths WHERE id = ?');
  const pathOf = (id: number): string => {
    const node = path.get(id) as { parent: number; name: string };
    return node.parent < 0 ? '' : `${pathOf(node.parent)}/${node.name}`;
  };
  return rows.map((r) => `${r.point} ${pathOf(r.node)} ${r.entries}`).sort();
}

/** What a person browsing sees: every folder of the point, every version of every path. */
function browse(temp: TempCatalog, pointId: string, trees: Tree[]) {
  const q = temp.catalog.queries;
  const point = q.point(VM.name, { pointId });
  const folders: Record<string, unknown> = {};
  const walk = (path: string) => {
    const listing = q.list(point, path, { offset: 0, limit: 10_000 });
    folders[path] = listing;
    for (const e of listing.entries) if (e.type === 'dir') walk(e.path);
  };
  walk('/vda1');
  // Every path but the big folders' files, of which those that change or come and go.
  const sampled = (p: string) => !/^\/big\d?\/f-/.test(p) || /f-(0000|0500|0999|1000)$/.test(p);
  const paths = new Set(trees.flatMap((t) => [...t.keys()].filter(sampled)));
  const versions = [...paths].sort().map((p) => {
    const browsePath = p === '/' ? '/vda1' : `/vda1${p}`;
    try {
      return q.versions(VM.name, browsePath);
    } catch (err) {
      return String(err);
    }
  });
  const search = (pattern: string) =>
    searchFiles(temp.db, q, { pattern, allPoints: true, limit: 100_000 }).hits;
  // Names new in a point, found through the name index (unlike '*', which reads every name).
  const named = ['picture*', 'localtime', 'new.txt', 'journal'].map(search);
  return { folders, versions, all: search('*'), named, never: search('*berfl*') };
}

describe('volume delta ingest', () => {
  it('catalogs points from what changed exactly as from their full walks', async () => {
    const two = pointTwo();
    const three = pointThree(two);
    fullPoint(full, 'p1', 1, P1);
    fullPoint(byDelta, 'p1', 1, P1);
    const delta2 = deltaOf(P1, two, 'p1');
    // The delta is what changed: the big unchanged folders are not in it.
    expect(delta2.folders.map((f) => f.path)).not.toContain('/big2');
    expect(await deltaPoint('p2', 2, delta2)).toBe(fullPoint(full, 'p2', 2, two));
    expect(await deltaPoint('p3', 3, deltaOf(two, three, 'p2'))).toBe(
      fullPoint(full, 'p3', 3, three),
    );

    expect(versionRows(byDelta)).toEqual(versionRows(full));
    expect(folderSizes(byDelta)).toEqual(folderSizes(full));
    expect(folderSizes(byDelta)).toEqual([
      'p1 /big 1200',
      'p1 /big2 1000',
      'p1 /big3 1000',
      'p2 /big 1200',
      'p2 /big2 1000',
      'p3 /big2 1000',
      'p3 /big3 1000',
    ]);
    const seen = [P1, two, three];
    for (const point of ['p1', 'p2', 'p3'])
      expect(browse(byDelta, point, seen)).toEqual(browse(full, point, seen));
    const found = browse(byDelta, 'p3', seen).never;
    expect(found.map((h) => [h.pointId, h.entry.path])).toEqual([
      ['p3', '/vda1/usr/local/newapp/bin/qzxv-Überflieger.cfg'],
    ]);

    full.catalog.forgetPoints('default', ['p1']);
    byDelta.catalog.forgetPoints('default', ['p1']);
    expect(versionRows(byDelta)).toEqual(versionRows(full));
    for (const point of ['p2', 'p3'])
      expect(browse(byDelta, point, seen)).toEqual(browse(full, point, seen));
  });

  it('keeps matching the full walks through random histories, with points forgotten', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const changes = new RandomChanges(seed);
      let tree = changes.tree();
      fullPoint(full, `s${seed}-0`, 0, tree);
      fullPoint(byDelta, `s${seed}-0`, 0, tree);
      for (let i = 1; i <= 10; i++) {
        const next = changes.changed(tree);
        const delta = deltaOf(tree, next, `s${seed}-${i - 1}`);
        expect(await deltaPoint(`s${seed}-${i}`, i, delta)).toBe(
          fullPoint(full, `s${seed}-${i}`, i, next),
        );
        expect(versionRows(byDelta)).toEqual(versionRows(full));
        if (i % 4 === 0)
          for (const temp of [full, byDelta])
            temp.catalog.forgetPoints('default', [`s${seed}-${i - 2}`]);
        tree = next;
      }
      expect(versionRows(byDelta)).toEqual(versionRows(full));
    }
  });

  it('refuses a delta from another basis and writes nothing', async () => {
    fullPoint(byDelta, 'p1', 1, P1);
    fullPoint(byDelta, 'p2', 2, pointTwo());
    const tables = () =>
      ['fc_entries', 'fc_paths', 'fc_names', 'fc_volumes', 'fc_folder_sizes'].map((t) =>
        byDelta.db.prepare(`SELECT * FROM ${t}`).all(),
      );
    const before = tables();
    const ingest = begin(byDelta, 'p3', 3);
    const stale = deltaOf(P1, pointThree(pointTwo()), 'p1');
    await expect(ingest.addVolumeDelta('vda1', stale)).rejects.toMatchObject({
      details: { reason: 'DELTA_BASIS' },
      message: expect.stringMatching(/previous cataloged point is p2/),
    });
    await expect(ingest.addVolumeDelta('vdb', stale)).rejects.toMatchObject({
      details: { reason: 'DELTA_BASIS' },
    });
    expect(tables()).toEqual(before);
    ingest.abandon();
  });

  it('undoes a delta that does not fit its basis, so the full walk can follow in the point', async () => {
    const two = pointTwo();
    fullPoint(full, 'p1', 1, P1);
    fullPoint(full, 'p2', 2, two);
    fullPoint(byDelta, 'p1', 1, P1);
    const ingest = begin(byDelta, 'p2', 2);
    const delta = deltaOf(P1, two, 'p1');
    // A new folder without its listing: found only once the writing is under way.
    const broken = { ...delta, folders: delta.folders.filter((f) => f.path !== '/opt/readme') };
    await expect(ingest.addVolumeDelta('vda1', broken)).rejects.toMatchObject({
      details: { reason: 'DELTA_INCONSISTENT' },
      message: expect.stringMatching(/\/opt\/readme is new/),
    });
    const cancelled = new AbortController();
    cancelled.abort();
    await expect(ingest.addVolumeDelta('vda1', delta, cancelled.signal)).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    ingest.beginVolume('vda1').add(stream(two));
    finish(ingest);
    expect(versionRows(byDelta)).toEqual(versionRows(full));
    expect(browse(byDelta, 'p2', [P1, two])).toEqual(browse(full, 'p2', [P1, two]));
  });

  it('lets the event loop turn while it extends a large volume', async () => {
    const large: Tree = new Map([
      ['/', dir(2)],
      ['/data', dir(3)],
      ...bigFolder('/data', 30_000, 10),
    ]);
    fullPoint(byDelta, 'p1', 1, large);
    const next = new Map(large).set('/data/f-0001', file(11, 'changed'));
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const files = await deltaPoint('p2', 2, deltaOf(large, next, 'p1'));
    counting = false;
    expect(files).toBe(30_000);
    expect(turns).toBeGreaterThan(1);
  });
});

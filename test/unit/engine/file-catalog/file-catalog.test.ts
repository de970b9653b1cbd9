/**
 * The version ranges of the file catalog on a real SQLite catalog: unchanged files share one row
 * across points, listings of each point stay exact, forgetting points keeps the others intact and
 * gc removes what no point uses any more.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTempCatalog, type TempCatalog } from './temp-catalog';
import type { GuestOs, PointVolume } from '../../../../shared/domain/files';
import { HyperkeepError } from '../../../../shared/errors';
import type { CatalogDb } from '../../../../src-main/engine/catalog/catalog';
import type { CatalogRecord } from '../../../../src-main/engine/file-catalog/catalog-record';
import { diffPoints, searchFiles } from '../../../../src-main/engine/file-catalog/catalog-search';
import { FileCatalog } from '../../../../src-main/engine/file-catalog/file-catalog';

const VM = { uuid: '11111111-2222-3333-4444-555555555555', name: 'web-01' };

/** A tree as "path → content tag"; paths ending in / are folders. */
type Tree = Record<string, string>;

function records(tree: Tree): CatalogRecord[] {
  const out: CatalogRecord[] = [];
  const dirs = new Map<string, number>();
  const add = (path: string, type: 'dir' | 'file', tag: string) => {
    const parent = path === '/' ? -1 : dirs.get(path.slice(0, path.lastIndexOf('/')) || '/')!;
    if (type === 'dir') dirs.set(path, out.length);
    out.push({
      parent,
      name: path === '/' ? '' : path.slice(path.lastIndexOf('/') + 1),
      type,
      size: type === 'dir' ? 0 : tag.length,
      mtimeMs: Date.parse('2024-05-01T12:00:00Z') + tag.length * 1000,
      mode: type === 'dir' ? 0o755 : 0o644,
      uid: 1000,
      gid: 1000,
      owner: null,
      acl: null,
      link: null,
      attrs: null,
      fsId: out.length + 2,
      extents: Buffer.from(tag),
    });
  };
  add('/', 'dir', '');
  for (const [path, tag] of Object.entries(tree).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (path.endsWith('/')) add(path.slice(0, -1), 'dir', '');
    else add(path, 'file', tag);
  }
  return out;
}

const volume = (name: string, indexed = true, error?: string): PointVolume => ({
  name,
  disk: 'vda',
  offsetBytes: 1048576,
  sizeBytes: 1 << 30,
  filesystem: 'ext4',
  indexed,
  ...(error ? { error } : {}),
});

const BASE: Tree = {
  '/etc/': '',
  '/etc/hostname': 'web-01',
  '/home/': '',
  '/home/alice/': '',
  '/home/alice/notes.txt': 'v1',
  '/home/alice/report.txt': 'quarterly',
  '/home/alice/old.log': 'old',
};

let temp: TempCatalog;
let db: CatalogDb;
let catalog: FileCatalog;
let clock = 0;

function backup(
  pointId: string,
  trees: Record<string, Tree | string>,
  guest: GuestOs | null = null,
): void {
  const ingest = catalog.beginPoint({
    repository: 'default',
    pointId,
    vmUuid: VM.uuid,
    vmName: VM.name,
    time: new Date(Date.UTC(2025, 0, 1, 0, clock++)).toISOString(),
  })!;
  for (const [name, tree] of Object.entries(trees)) {
    if (typeof tree === 'string') {
      ingest.addVolume(volume(name, false, tree));
      continue;
    }
    ingest.beginVolume(name).add(records(tree));
    ingest.addVolume(volume(name));
  }
  ingest.finish({ users: { '1000': 'alice' }, groups: { '1000': 'staff' } }, guest);
}

const names = (pointId: string, path: string) =>
  catalog.queries
    .list(catalog.queries.point(VM.name, { pointId }), path)
    .entries.map((e) => e.name);

beforeEach(() => {
  temp = openTempCatalog('hk-file-catalog-');
  ({ db, catalog } = temp);
  clock = 0;
});

afterEach(() => temp.remove());

describe('file catalog version ranges', () => {
  it('shares unchanged entries between points and lists each point as it was', () => {
    backup('p1', { vda1: BASE });
    const afterOne = catalog.entryCount();
    expect(afterOne).toBe(Object.keys(BASE).length + 1);

    const next = { ...BASE, '/home/alice/notes.txt': 'v2 longer', '/home/alice/new.txt': 'n' };
    delete (next as Tree)['/home/alice/old.log'];
    backup('p2', { vda1: next });
    // Only the changed and the new file cost a row.
    expect(catalog.entryCount()).toBe(afterOne + 2);

    expect(names('p1', '/vda1/home/alice')).toEqual(['notes.txt', 'old.log', 'report.txt']);
    expect(names('p2', '/vda1/home/alice')).toEqual(['new.txt', 'notes.txt', 'report.txt']);
    expect(names('p2', '/')).toEqual(['vda1']);
    const notes = catalog.queries
      .list(catalog.queries.point(VM.name, {}), '/vda1/home/alice')
      .entries.find((e) => e.name === 'notes.txt')!;
    expect(notes).toMatchObject({
      path: '/vda1/home/alice/notes.txt',
      type: 'file',
      size: 9,
      owner: 'alice',
      group: 'staff',
      mode: 0o644,
    });

    const versions = catalog.queries.versions(VM.name, '/vda1/home/alice/notes.txt');
    expect(versions.map((v) => [v.pointId, v.entry.size, v.changed, v.first])).toEqual([
      ['p2', 9, true, false],
      // Its first appearance is not a change (review M9).
      ['p1', 2, false, true],
    ]);
    const report = catalog.queries.versions(VM.uuid, '/vda1/home/alice/report.txt');
    expect(report.map((v) => [v.changed, v.first])).toEqual([
      [false, false],
      [false, true],
    ]);

    const diff = diffPoints(db, catalog.queries, {
      vm: VM.name,
      fromPointId: 'p1',
      toPointId: 'p2',
      path: '/vda1/home',
      limit: 100,
    });
    expect(diff.added.map((e) => e.path)).toEqual(['/vda1/home/alice/new.txt']);
    expect(diff.removed.map((e) => e.path)).toEqual(['/vda1/home/alice/old.log']);
    expect(diff.changed.map((e) => e.path)).toEqual(['/vda1/home/alice/notes.txt']);
  });

  it('pages through a big folder in name order, each point as it was', () => {
    const big: Tree = { '/big/': '' };
    for (let i = 0; i < 1200; i++) big[`/big/f-${String(i).padStart(4, '0')}`] = `v${i}`;
    backup('p1', { vda1: big });
    const next = { ...big, '/big/f-0000a': 'new' };
    delete (next as Tree)['/big/f-0003'];
    backup('p2', { vda1: next });
    const page = (pointId: string, offset: number, limit: number) =>
      catalog.queries.list(catalog.queries.point(VM.name, { pointId }), '/vda1/big', {
        offset,
        limit,
      });
    const first = page('p2', 0, 5);
    expect(first.entries.map((e) => e.name)).toEqual([
      'f-0000',
      'f-0000a',
      'f-0001',
      'f-0002',
      'f-0004',
    ]);
    expect(first.total).toBe(1200);
    expect(page('p2', 1195, 500).entries.map((e) => e.name)).toEqual([
      'f-1195',
      'f-1196',
      'f-1197',
      'f-1198',
      'f-1199',
    ]);
    expect(page('p1', 3, 1).entries.map((e) => e.name)).toEqual(['f-0003']);
    // Without a page the whole folder comes back, as before.
    expect(names('p1', '/vda1/big')).toHaveLength(1200);
    expect(page('p1', 5000, 10)).toMatchObject({ entries: [], total: 1200 });
  });

  it('keeps hundreds of names in one folder exact, searchable as soon as the point is done', () => {
    // Enough files that rows go in many per statement; names beyond the BMP and in other scripts.
    const tree: Tree = { '/data/': '', '/data/🦀 crab.txt': 'x', '/data/日本語.md': 'y' };
    for (let i = 0; i < 300; i++) tree[`/data/file-${String(i).padStart(3, '0')}.bin`] = `t${i}`;
    backup('p1', { vda1: tree });
    const listed = names('p1', '/vda1/data');
    expect(listed).toHaveLength(302);
    expect(listed).toEqual(expect.arrayContaining(['🦀 crab.txt', '日本語.md', 'file-299.bin']));
    const found = (pattern: string) =>
      searchFiles(db, catalog.queries, { pattern, allPoints: true, limit: 50 }).hits.map(
        (h) => h.entry.name,
      );
    expect(found('*ile-29*').sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `file-29${i}.bin`),
    );
    expect(found('*crab*')).toEqual(['🦀 crab.txt']);
    const before = catalog.entryCount();
    backup('p2', { vda1: { ...tree, '/data/file-000.bin': 'changed' } });
    expect(catalog.entryCount()).toBe(before + 1);
    expect(names('p2', '/vda1/data')).toEqual(listed);
  });

  it('searches names by glob, case-insensitively, in the latest point or all points', () => {
    backup('p1', { vda1: BASE });
    backup('p2', { vda1: { ...BASE, '/home/alice/notes.txt': 'v2 longer' } });
    const latest = searchFiles(db, catalog.queries, {
      pattern: 'NOTES*',
      allPoints: false,
      limit: 10,
    });
    expect(latest.hits.map((h) => [h.pointId, h.entry.path])).toEqual([
      ['p2', '/vda1/home/alice/notes.txt'],
    ]);
    const all = searchFiles(db, catalog.queries, {
      vm: VM.name,
      pattern: '*.txt',
      allPoints: true,
      limit: 10,
    });
    // One hit per version: notes.txt twice, report.txt once (unchanged: its newest point).
    expect(all.hits.map((h) => `${h.pointId} ${h.entry.name}`).sort()).toEqual([
      'p1 notes.txt',
      'p2 notes.txt',
      'p2 report.txt',
    ]);
    const short = searchFiles(db, catalog.queries, {
      pattern: '?ld.*',
      allPoints: false,
      limit: 10,
    });
    expect(short.hits.map((h) => h.entry.name)).toEqual(['old.log']);
    const capped = searchFiles(db, catalog.queries, { pattern: '*', allPoints: true, limit: 2 });
    expect(capped).toMatchObject({ truncated: true });
    expect(capped.hits).toHaveLength(2);
  });

  it('finds the names of a volume written after another volume of the point failed midway', () => {
    const ingest = catalog.beginPoint({
      repository: 'default',
      pointId: 'p1',
      vmUuid: VM.uuid,
      vmName: VM.name,
      time: new Date(Date.UTC(2025, 0, 1)).toISOString(),
    })!;
    // A batch that fails after its names were looked up: its transaction rolls back.
    const broken = records({ '/shared-name.txt': 'x' });
    broken.push({ ...broken[1]!, name: 'orphan', parent: 99 });
    expect(() => ingest.beginVolume('vda1').add(broken)).toThrow(/names parent 99/);
    ingest.addVolume(volume('vda1', false, 'Indexing stopped'));
    ingest.beginVolume('vda2').add(records({ '/shared-name.txt': 'y' }));
    ingest.addVolume(volume('vda2'));
    ingest.finish({ users: {}, groups: {} }, null);
    const found = searchFiles(db, catalog.queries, {
      pattern: 'shared-name*',
      allPoints: false,
      limit: 10,
    });
    expect(found.hits.map((h) => h.entry.path)).toEqual(['/vda2/shared-name.txt']);
  });

  it('searches only the points at or before a moment when asked (review M8)', () => {
    backup('p1', { vda1: BASE });
    backup('p2', { vda1: { ...BASE, '/home/alice/notes.txt': 'v2 longer' } });
    const p1Time = catalog.queries.point(VM.name, { pointId: 'p1' }).time;
    const upToP1 = searchFiles(db, catalog.queries, {
      vm: VM.name,
      pattern: '*.txt',
      allPoints: true,
      before: p1Time,
      limit: 10,
    });
    // report.txt is unchanged in p2, but p2 is newer than the moment: its hit comes from p1.
    expect(upToP1.hits.map((h) => `${h.pointId} ${h.entry.name}`).sort()).toEqual([
      'p1 notes.txt',
      'p1 report.txt',
    ]);
    expect(() =>
      searchFiles(db, catalog.queries, {
        pattern: '*',
        allPoints: true,
        before: 'yesterday',
        limit: 10,
      }),
    ).toThrow(/"yesterday" is not a date and time/);
  });

  it('keeps the other points intact when points are forgotten, and gc frees what no point uses', () => {
    backup('p1', { vda1: BASE });
    backup('p2', { vda1: { ...BASE, '/home/alice/notes.txt': 'v2 longer' } });
    backup('p3', { vda1: { ...BASE, '/home/alice/notes.txt': 'v3 much longer' } });
    const before = catalog.entryCount();
    catalog.forgetPoints('default', ['p2']);
    // The middle version of notes.txt was only in p2.
    expect(catalog.entryCount()).toBe(before - 1);
    expect(names('p1', '/vda1/home/alice')).toEqual(['notes.txt', 'old.log', 'report.txt']);
    expect(names('p3', '/vda1/home/alice')).toEqual(['notes.txt', 'old.log', 'report.txt']);
    expect(() => catalog.queries.point(VM.name, { pointId: 'p2' })).toThrow(HyperkeepError);
    expect(
      catalog.queries.versions(VM.name, '/vda1/home/alice/notes.txt').map((v) => v.pointId),
    ).toEqual(['p3', 'p1']);

    // The next point extends the ranges of p3 even though p2 is gone.
    backup('p4', { vda1: { ...BASE, '/home/alice/notes.txt': 'v3 much longer' } });
    expect(catalog.entryCount()).toBe(before - 1);

    catalog.forgetPoints('default', ['p1', 'p3', 'p4']);
    expect(catalog.entryCount()).toBe(0);
    const left = db
      .prepare(
        'SELECT (SELECT count(*) FROM fc_paths) AS paths, (SELECT count(*) FROM fc_names) AS names',
      )
      .get();
    expect(left).toEqual({ paths: 0, names: 0 });
    expect(
      searchFiles(db, catalog.queries, { pattern: 'notes*', allPoints: true, limit: 10 }).hits,
    ).toEqual([]);
  });

  it('records volumes that were not indexed and refuses to list them with the reason', () => {
    backup('p1', { vda1: BASE, vdb: 'ext4: superblock magic is wrong' });
    const point = catalog.queries.point(VM.name, { pointId: 'p1' });
    expect(catalog.queries.volumes(point).map((v) => [v.name, v.indexed, v.error])).toEqual([
      ['vda1', true, undefined],
      ['vdb', false, 'ext4: superblock magic is wrong'],
    ]);
    expect(() => catalog.queries.list(point, '/vdb')).toThrow(
      /not indexed: ext4: superblock magic/,
    );
    expect(catalog.queries.list(point, '/').entries).toMatchObject([
      { name: 'vda1', type: 'dir' },
      { name: 'vdb', attributes: ['not-indexed'] },
    ]);
    // A volume that failed in p2 comes back in p3, sharing rows with p1.
    backup('p2', { vda1: 'damaged' });
    const rows = catalog.entryCount();
    backup('p3', { vda1: BASE });
    expect(catalog.entryCount()).toBe(rows);
    expect(names('p3', '/vda1/home/alice')).toEqual(['notes.txt', 'old.log', 'report.txt']);
    expect(() => names('p2', '/vda1')).toThrow(/not indexed: damaged/);
  });

  it('gives each VM the guest OS of its newest point that detected one', () => {
    backup('p1', { vda1: BASE }, { family: 'linux', name: 'Debian GNU/Linux 11 (bullseye)' });
    backup('p2', { vda1: BASE }, { family: 'linux', name: 'Debian GNU/Linux 12 (bookworm)' });
    backup('p3', { vda1: BASE }, null);
    expect(catalog.latestGuestOsByVm().get(VM.uuid)).toEqual({
      family: 'linux',
      name: 'Debian GNU/Linux 12 (bookworm)',
    });
    expect([...catalog.guestOsByPoint(['p1', 'p3']).keys()]).toEqual(['p1']);
  });

  it('answers a missing path or point with a message naming it', () => {
    backup('p1', { vda1: BASE });
    const point = catalog.queries.point(VM.name, {});
    expect(() => catalog.queries.list(point, '/vda1/nope')).toThrow(
      '/vda1/nope does not exist in restore point p1.',
    );
    expect(() => catalog.queries.list(point, '/vdz')).toThrow(
      /has no volume "vdz" \(it has: vda1\)/,
    );
    expect(() => catalog.queries.point(VM.name, { at: '2020-01-01T00:00:00Z' })).toThrow(
      /no cataloged restore point at or before/,
    );
    expect(catalog.queries.point(VM.name, { at: '2030-01-01T00:00:00+02:00' }).point_id).toBe('p1');
    // Another VM's point is not "a point of web-01 without a catalog" (review 3, M5).
    const other = catalog.beginPoint({
      repository: 'default',
      pointId: 'db-p1',
      vmUuid: '99999999-2222-3333-4444-555555555555',
      vmName: 'db-01',
      time: new Date(Date.UTC(2025, 0, 2)).toISOString(),
    })!;
    other.beginVolume('vda1').add(records(BASE));
    other.addVolume(volume('vda1'));
    other.finish({ users: {}, groups: {} }, null);
    expect(() => catalog.queries.point(VM.name, { pointId: 'db-p1' })).toThrow(
      /^web-01 has no restore point db-p1\.$/,
    );
    expect(catalog.queries.list(point, '/vda1/etc/hostname').entries).toMatchObject([
      { name: 'hostname', type: 'file' },
    ]);
  });
});

/**
 * The file catalog's indexed query shapes (issue 5 at 1M files): name searches that the trigram
 * index cannot serve (prefix, short ending, '?', one-letter infix) find exactly what a full scan
 * finds, folder pages come from the (parent, name) index in name order with the same total on
 * every page, and a catalog of the previous schema is upgraded in place.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTempCatalog, type TempCatalog } from './temp-catalog';
import {
  openCatalog,
  schemaVersion,
  type CatalogDb,
} from '../../../../src-main/engine/catalog/catalog';
import { latestSchemaVersion, migrations } from '../../../../src-main/engine/catalog/migrations';
import type { CatalogRecord } from '../../../../src-main/engine/file-catalog/catalog-record';
import { searchFiles } from '../../../../src-main/engine/file-catalog/catalog-search';
import { FileCatalog } from '../../../../src-main/engine/file-catalog/file-catalog';
import {
  globToRegExp,
  planNameLookup,
  prefixUpperBound,
} from '../../../../src-main/engine/file-catalog/name-pattern';

const VM = 'idx-vm';
let temp: TempCatalog;
let dir: string;
let db: CatalogDb;
let catalog: FileCatalog;

beforeEach(() => {
  temp = openTempCatalog('hk-catalog-idx-');
  ({ dir, db, catalog } = temp);
});
afterEach(() => temp.remove());

const file = (parent: number, name: string, size = 1): CatalogRecord => ({
  parent,
  name,
  type: parent < 0 ? 'dir' : 'file',
  size,
  mtimeMs: 1.7e12,
  mode: 0o644,
  uid: 0,
  gid: 0,
  owner: null,
  acl: null,
  link: null,
  attrs: null,
  fsId: 1,
  extents: null,
});
const folder = (parent: number, name: string): CatalogRecord => ({
  ...file(parent, name, 0),
  type: 'dir',
});

/** One point of volume vda1: / with folders, each holding the given file names. */
function backup(pointId: string, folders: Record<string, string[]>, day: number): void {
  const ingest = catalog.beginPoint({
    repository: 'default',
    pointId,
    vmUuid: VM,
    vmName: VM,
    time: new Date(Date.UTC(2025, 0, day)).toISOString(),
  })!;
  const records: CatalogRecord[] = [folder(-1, '')];
  for (const [name, files] of Object.entries(folders)) {
    const at = records.length;
    records.push(folder(0, name));
    for (const f of files) records.push(file(at, f));
  }
  const volume = ingest.beginVolume('vda1');
  volume.add(records);
  ingest.addVolume({
    name: 'vda1',
    disk: 'vda',
    offsetBytes: 0,
    sizeBytes: 1 << 30,
    filesystem: 'ext4',
    indexed: true,
  });
  ingest.finish({ users: {}, groups: {} }, null);
}

const NAMES = [
  'main.c',
  'Util.C',
  'notes.txt',
  'a',
  'b',
  'ab',
  'x-ray.png',
  'box',
  'zeta.h',
  'alpha.conf',
  'Alpha.log',
  'it[1].c',
  '100%_done',
  'résumé.pdf',
  'ÉTÉ.txt',
  'item-1',
  'item-2',
];

const search = (pattern: string, limit = 500) =>
  searchFiles(db, catalog.queries, { vm: VM, pattern, allPoints: true, limit });

describe('name search by index', () => {
  it('picks an index for each pattern shape and SQLite uses it', () => {
    const plans: [string, string, RegExp][] = [
      ['it*', 'prefix', /USING (COVERING )?INDEX fc_names_by_lc \(name_lc>\? AND name_lc<\?\)/],
      ['a?', 'prefix', /INDEX fc_names_by_lc \(name_lc>\? AND name_lc<\?\)/],
      ['*.c', 'ending', /INDEX fc_names_by_ending \(<expr>>\? AND <expr><\?\)/],
      ['*x*', 'scan', /SCAN fc_names USING COVERING INDEX fc_names_by_lc/],
      ['?', 'scan', /SCAN fc_names USING COVERING INDEX fc_names_by_lc/],
      ['*invoice*', 'trigram', /VIRTUAL TABLE/],
    ];
    for (const [pattern, kind, used] of plans) {
      const lookup = planNameLookup(pattern);
      expect(lookup.kind, pattern).toBe(kind);
      const plan = (
        db.prepare(`EXPLAIN QUERY PLAN ${lookup.sql}`).all(...lookup.params) as {
          detail: string;
        }[]
      )
        .map((r) => r.detail)
        .join('\n');
      expect(plan, pattern).toMatch(used);
      expect(plan, pattern).not.toMatch(/TEMP B-TREE/);
    }
  });

  it('finds exactly what a full scan with the glob finds, for every pattern shape', () => {
    backup('p1', { docs: NAMES, more: ['main.c', 'zz.c'] }, 1);
    const all = [
      '/vda1/docs',
      '/vda1/more',
      ...NAMES.map((n) => `/vda1/docs/${n}`),
      '/vda1/more/main.c',
      '/vda1/more/zz.c',
    ];
    const patterns = [
      '*.c', // short ending
      '*c',
      'a*', // short prefix
      'A?',
      'it*',
      '*x*', // one-letter infix
      '?',
      '??',
      '*.txt', // trigram
      'r*', // non-ASCII after the prefix
      'é*',
      '*É.TXT',
      'it[1].c', // '[' is a literal in a glob
      '100%_done', // '%' and '_' are literals too
      '100_%done',
      '*',
    ];
    for (const pattern of patterns) {
      const re = globToRegExp(pattern);
      const expected = all.filter((p) => re.test(p.slice(p.lastIndexOf('/') + 1))).sort();
      const got = search(pattern);
      expect(got.hits.map((h) => h.entry.path).sort(), pattern).toEqual(expected);
      expect(got.truncated, pattern).toBe(false);
    }
  });

  it('stops at the limit: the first names in index order, marked truncated', () => {
    backup('p1', { docs: NAMES }, 1);
    const first = search('*', 3);
    expect(first.truncated).toBe(true);
    expect(first.hits).toHaveLength(3);
    const prefix = search('item-*', 1);
    expect(prefix).toMatchObject({ truncated: true, hits: [{ entry: { name: 'item-1' } }] });
  });

  it('bounds prefix ranges by the next code point', () => {
    expect(prefixUpperBound('it')).toBe('iu');
    expect(prefixUpperBound('a\u{10ffff}')).toBe('b');
    expect(prefixUpperBound('\u{d7ff}')).toBe('\u{e000}');
    expect(prefixUpperBound('\u{10ffff}')).toBeNull();
  });
});

describe('folder pages', () => {
  const BIG = Array.from({ length: 1500 }, (_, i) => `f-${String(i).padStart(4, '0')}`);
  const shuffled = [...BIG].sort((a, b) =>
    a.split('').reverse() < b.split('').reverse() ? -1 : 1,
  );

  function pages(pointId: string, size: number): { names: string[]; totals: Set<number> } {
    const point = catalog.queries.point(VM, { pointId });
    const names: string[] = [];
    const totals = new Set<number>();
    for (let offset = 0; offset < 5000; offset += size) {
      const page = catalog.queries.list(point, '/vda1/big', { offset, limit: size });
      totals.add(page.total!);
      names.push(...page.entries.map((e) => e.name));
      if (page.entries.length < size) break;
    }
    return { names, totals };
  }

  it('reads a big folder page by page in name order, the same total on every page', () => {
    backup('p1', { big: shuffled }, 1);
    // p2 deletes some files and adds others: its child nodes are no longer all its entries.
    const p2 = shuffled.filter((n) => !n.endsWith('7')).concat(['f-0000b', 'a-first']);
    backup('p2', { big: p2 }, 2);
    backup('p3', { big: shuffled }, 3);
    const sorted = (list: string[]) => [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [pointId, expected] of [
      ['p1', BIG],
      ['p2', sorted(p2)],
      ['p3', BIG],
    ] as const) {
      const whole = catalog.queries.list(catalog.queries.point(VM, { pointId }), '/vda1/big');
      expect(whole.entries.map((e) => e.name)).toEqual(expected);
      const paged = pages(pointId, 400);
      expect(paged.names, pointId).toEqual(expected);
      expect([...paged.totals], pointId).toEqual([expected.length]);
    }
  });

  it('counts a big folder once when its size was not stored (catalogs before version 6)', () => {
    backup('p1', { big: BIG, small: ['a', 'b'] }, 1);
    const stored = () =>
      (db.prepare('SELECT count(*) AS n FROM fc_folder_sizes').get() as { n: number }).n;
    expect(stored()).toBe(1); // the ingest stores big folders only
    db.prepare('DELETE FROM fc_folder_sizes').run();
    expect(pages('p1', 700)).toEqual({ names: BIG, totals: new Set([1500]) });
    expect(stored()).toBe(1);
    const point = catalog.queries.point(VM, { pointId: 'p1' });
    expect(catalog.queries.list(point, '/vda1/small', { offset: 1, limit: 5 })).toMatchObject({
      entries: [{ name: 'b' }],
      total: 2,
    });
    expect(stored()).toBe(1);
  });

  it('lists a page from the (parent, name) index without sorting', () => {
    const plan = (
      db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT p.name AS name, e.* FROM fc_paths p
             JOIN fc_entries e ON e.path_id = p.id AND e.last_seq >= 1 AND e.first_seq <= 1
           WHERE p.parent_id = 5 ORDER BY p.name LIMIT 10 OFFSET 20`,
        )
        .all() as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('\n');
    expect(plan).toMatch(/fc_paths_by_parent \(parent_id=\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });
});

describe('upgrade from schema 5', () => {
  it('opens a catalog of the previous version, keeping its points browsable and searchable', () => {
    const path = join(dir, 'v5.sqlite');
    const raw = new Database(path);
    for (const m of migrations.filter((m) => m.version <= 5)) raw.exec(m.sql);
    raw.pragma('user_version = 5');
    raw.exec(`
      INSERT INTO fc_vms (id, repository, vm_uuid, next_seq) VALUES (1, 'default', 'old-vm', 2);
      INSERT INTO fc_volumes (id, vm_id, name) VALUES (1, 1, 'vda1');
      INSERT INTO fc_points (pk, vm_id, point_id, vm_name, seq, time, state)
        VALUES (1, 1, 'old-p1', 'old-vm', 1, '2024-01-01T00:00:00.000Z', 'done');
      INSERT INTO fc_point_volumes (point_pk, volume_id, position, indexed, info_json)
        VALUES (1, 1, 0, 1, '{"name":"vda1","disk":"vda","offsetBytes":0,"sizeBytes":1,"filesystem":"ext4","indexed":true}');
      INSERT INTO fc_names (id, name, name_lc) VALUES (1, '', ''), (2, 'etc', 'etc'),
        (3, 'Hosts', 'hosts'), (4, 'a.c', 'a.c');
      INSERT INTO fc_names_fts (rowid, name_lc) SELECT id, name_lc FROM fc_names;
      INSERT INTO fc_paths (id, volume_id, parent_id, name_id) VALUES (1, 1, -1, 1), (2, 1, 1, 2),
        (3, 1, 2, 3), (4, 1, 2, 4);
      INSERT INTO fc_entries (path_id, volume_id, first_seq, last_seq, type, size, fs_id, sig)
        VALUES (1, 1, 1, 1, 1, 0, 2, x'00'), (2, 1, 1, 1, 1, 0, 3, x'00'),
               (3, 1, 1, 1, 0, 10, 4, x'00'), (4, 1, 1, 1, 0, 20, 5, x'00');
    `);
    raw.close();
    const upgraded = openCatalog(path);
    try {
      expect(schemaVersion(upgraded)).toBe(latestSchemaVersion);
      const old = new FileCatalog(upgraded);
      const point = old.queries.point('old-vm', { pointId: 'old-p1' });
      expect(old.queries.list(point, '/vda1/etc').entries.map((e) => e.name)).toEqual([
        'Hosts',
        'a.c',
      ]);
      expect(old.queries.list(point, '/vda1/etc', { offset: 1, limit: 1 })).toMatchObject({
        entries: [{ name: 'a.c', size: 20 }],
        total: 2,
      });
      const hits = (pattern: string) =>
        searchFiles(upgraded, old.queries, {
          vm: 'old-vm',
          pattern,
          allPoints: true,
          limit: 9,
        }).hits.map((h) => h.entry.path);
      expect(hits('h*')).toEqual(['/vda1/etc/Hosts']);
      expect(hits('*.C')).toEqual(['/vda1/etc/a.c']);
      // Infix searches use the trigram index.
      expect(hits('*OST*')).toEqual(['/vda1/etc/Hosts']);
      // A later point of the upgraded lineage shares the old path nodes.
      const ingest = old.beginPoint({
        repository: 'default',
        pointId: 'new-p2',
        vmUuid: 'old-vm',
        vmName: 'old-vm',
        time: '2024-02-01T00:00:00.000Z',
      })!;
      const volume = ingest.beginVolume('vda1');
      volume.add([folder(-1, ''), folder(0, 'etc'), file(1, 'Hosts', 10), file(1, 'b.c')]);
      ingest.addVolume({ ...old.queries.volumes(point)[0]!, files: 2 });
      ingest.finish({ users: {}, groups: {} }, null);
      const p2 = old.queries.point('old-vm', { pointId: 'new-p2' });
      expect(old.queries.list(p2, '/vda1/etc').entries.map((e) => e.name)).toEqual([
        'Hosts',
        'b.c',
      ]);
      expect(
        (upgraded.prepare('SELECT count(*) AS n FROM fc_paths').get() as { n: number }).n,
      ).toBe(5);
      // The name index rebuilt by the upgrade (schema 8) and written by the new point agree
      // with fc_names, and keep doing so once gc drops a name.
      expect(hits('*.c')).toEqual(['/vda1/etc/a.c', '/vda1/etc/b.c']);
      const ftsCheck = "INSERT INTO fc_names_fts (fc_names_fts) VALUES ('integrity-check')";
      expect(() => upgraded.exec(ftsCheck)).not.toThrow();
      old.forgetPoints('default', ['new-p2']);
      expect(hits('*b.c*')).toEqual([]);
      expect(() => upgraded.exec(ftsCheck)).not.toThrow();
    } finally {
      upgraded.close();
    }
  });
});

/**
 * Volumes written by the ingest worker thread (its own connection to the catalog file): the
 * point browses and searches exactly as when written on the engine's thread, big folders keep
 * their sizes, and a damaged record stream fails the volume with a clear error while the catalog
 * stays consistent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTempCatalog, type TempCatalog } from './temp-catalog';
import type { PointVolume } from '../../../../shared/domain/files';
import { openCatalog, type CatalogDb } from '../../../../src-main/engine/catalog/catalog';
import type { CatalogRecord } from '../../../../src-main/engine/file-catalog/catalog-record';
import { searchFiles } from '../../../../src-main/engine/file-catalog/catalog-search';
import { FileCatalog } from '../../../../src-main/engine/file-catalog/file-catalog';
import { PointIndexEncoder } from '../../../../src-main/engine/file-catalog/point-index-object';

let temp: TempCatalog;
let db: CatalogDb;
let catalog: FileCatalog;

beforeEach(() => {
  temp = openTempCatalog('hk-ingest-worker-');
  ({ db, catalog } = temp);
});
afterEach(() => temp.remove());

const record = (parent: number, name: string, type: 'dir' | 'file', size = 0): CatalogRecord => ({
  parent,
  name,
  type,
  size,
  mtimeMs: Date.UTC(2025, 0, 1),
  mode: type === 'dir' ? 0o755 : 0o644,
  uid: 0,
  gid: 0,
  owner: null,
  acl: null,
  link: null,
  attrs: null,
  fsId: 100 + size,
  extents: type === 'file' ? Uint8Array.of(1, 2, size & 255) : null,
});

/** / , /etc/hosts, /big/ with `big` files. */
function tree(big: number, hostsSize = 10): CatalogRecord[] {
  const out = [
    record(-1, '', 'dir'),
    record(0, 'etc', 'dir'),
    record(1, 'hosts', 'file', hostsSize),
  ];
  out.push(record(0, 'big', 'dir'));
  for (let i = 0; i < big; i++) out.push(record(3, `f-${i}.dat`, 'file', i));
  return out;
}

const VOLUME: PointVolume = {
  name: 'vda1',
  disk: 'vda',
  offsetBytes: 0,
  sizeBytes: 1 << 30,
  filesystem: 'ext4',
  indexed: true,
};

/** One point written through the worker, in batches of `batch` records. */
async function backup(
  pointId: string,
  records: CatalogRecord[],
  batch = 500,
  vm = 'vm-1',
): Promise<number> {
  const ingest = catalog.beginPoint({
    repository: 'default',
    pointId,
    vmUuid: vm,
    vmName: vm,
    time: new Date(Date.UTC(2025, 0, Number(pointId.slice(1)))).toISOString(),
  })!;
  const writer = ingest.beginVolumeOffThread('vda1')!;
  const encoder = new PointIndexEncoder();
  try {
    for (let i = 0; i < records.length; i += batch)
      await writer.add(`[${encoder.add(0, records.slice(i, i + batch)).join(',')}]`);
    ingest.addFolderSizes(await writer.finish(1000));
  } catch (err) {
    await writer.abort();
    ingest.abandon();
    throw err;
  }
  ingest.addVolume({ ...VOLUME, files: writer.files });
  ingest.finish({ users: {}, groups: {} }, null);
  return writer.files;
}

describe('ingest worker', () => {
  it('writes a volume that lists, counts and searches like one written in-thread', async () => {
    expect(await backup('p1', tree(1500))).toBe(1501);
    const point = catalog.queries.point('vm-1', { pointId: 'p1' });
    expect(catalog.queries.list(point, '/vda1/etc').entries).toMatchObject([
      { name: 'hosts', type: 'file', size: 10, mode: 0o644 },
    ]);
    // A big folder's size is stored by the ingest: every page shows the total.
    expect(catalog.queries.list(point, '/vda1/big', { offset: 1400, limit: 50 })).toMatchObject({
      total: 1500,
    });
    const hits = searchFiles(db, catalog.queries, {
      pattern: '*-149?.DAT',
      allPoints: true,
      limit: 20,
    }).hits.map((h) => h.entry.name);
    expect(hits.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `f-149${i}.dat`));

    // The next point shares every unchanged entry: only the changed file costs a row.
    const before = catalog.entryCount();
    await backup('p2', tree(1500, 11));
    expect(catalog.entryCount()).toBe(before + 1);
  });

  it('writes two points at once (two backups ending together) without either failing', async () => {
    // Each worker has its own connection: their transactions interleave with each other and
    // with this thread's, and new names and path ids must not collide.
    const [a, b] = await Promise.all([
      backup('p1', tree(3000), 100, 'vm-a'),
      backup('p2', tree(3000), 150, 'vm-b'),
    ]);
    expect([a, b]).toEqual([3001, 3001]);
    for (const vm of ['vm-a', 'vm-b']) {
      const point = catalog.queries.point(vm, {});
      expect(catalog.queries.list(point, '/vda1/big', { limit: 1 }).total).toBe(3000);
    }
    const hits = searchFiles(db, catalog.queries, {
      pattern: 'f-2999.dat',
      allPoints: true,
      limit: 5,
    }).hits.map((h) => h.vmName);
    expect(hits.sort()).toEqual(['vm-a', 'vm-b']);
  });

  it('fails a damaged record stream with a clear error and leaves the catalog consistent', async () => {
    await backup('p1', tree(10));
    const broken = tree(10);
    broken[5] = { ...broken[5]!, parent: 4 }; // a file as a parent
    await expect(backup('p2', broken, 3)).rejects.toThrow(/names parent 4, which is not a folder/);
    // The abandoned point's rows go with gc; the names it added stay searchable meanwhile.
    expect(catalog.collectGarbage()).not.toBeNull();
    const point = catalog.queries.point('vm-1', {});
    expect(point.point_id).toBe('p1');
    expect(
      searchFiles(db, catalog.queries, { pattern: 'f-9.dat', allPoints: true, limit: 5 }).hits,
    ).toHaveLength(1);
  });

  it('is not used for an in-memory catalog, which only its own connection can see', () => {
    const memory = openCatalog(':memory:');
    try {
      const ingest = new FileCatalog(memory).beginPoint({
        repository: 'default',
        pointId: 'm1',
        vmUuid: 'vm-m',
        vmName: 'vm-m',
        time: new Date(0).toISOString(),
      })!;
      expect(ingest.beginVolumeOffThread('vda1')).toBeNull();
      ingest.abandon();
    } finally {
      memory.close();
    }
  });
});

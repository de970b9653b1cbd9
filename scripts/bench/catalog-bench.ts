/**
 * File catalog benchmark: fills a catalog with synthetic points of one VM (default 1M files,
 * 1% of them changed per point) and prints the p95 of folder listings and name searches across
 * points, the ingest rate and the catalog size. Targets (issue 5): listing ≤ 50 ms p95 with 1M
 * files, a search across all points ≤ 200 ms.
 *
 *   npx tsx scripts/bench/catalog-bench.ts [--files 1000000] [--points 5]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog } from '../../src-main/engine/catalog/catalog';
import type { CatalogRecord } from '../../src-main/engine/file-catalog/catalog-record';
import { searchFiles } from '../../src-main/engine/file-catalog/catalog-search';
import { FileCatalog } from '../../src-main/engine/file-catalog/file-catalog';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const FILES = arg('files', 1_000_000);
const POINTS = arg('points', 5);
/** 100 top folders × 100 sub folders × N files: a deep enough tree with realistic fan-out. */
const TOP = 100;
const SUB = 100;
const PER_DIR = Math.max(1, Math.round(FILES / (TOP * SUB)));
const WORDS = ['report', 'invoice', 'notes', 'photo', 'backup', 'config', 'data', 'draft'];
const EXTS = ['txt', 'pdf', 'jpg', 'conf', 'csv', 'log'];

/** CPU time of the process in ms: on a loaded machine wall time says more about the others. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function p95(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
}

function* tree(point: number): Generator<CatalogRecord> {
  const base = {
    mode: 0o644,
    uid: 1000,
    gid: 1000,
    owner: null,
    acl: null,
    link: null,
    attrs: null,
  };
  let position = 0;
  const dir = (parent: number, name: string): CatalogRecord => ({
    ...base,
    parent,
    name,
    type: 'dir',
    size: 0,
    mtimeMs: 1.7e12,
    mode: 0o755,
    fsId: position + 2,
    extents: null,
  });
  yield dir(-1, '');
  position++;
  let fileNo = 0;
  for (let t = 0; t < TOP; t++) {
    const top = position++;
    yield dir(0, `project-${t}`);
    for (let s = 0; s < SUB; s++) {
      const sub = position++;
      yield dir(top, `folder-${s}`);
      for (let f = 0; f < PER_DIR; f++, fileNo++) {
        // 1% of the files change in each point.
        const changed = fileNo % 100 === point % 100 && point > 0;
        position++;
        yield {
          ...base,
          parent: sub,
          name: `${WORDS[fileNo % WORDS.length]}-${fileNo}.${EXTS[fileNo % EXTS.length]}`,
          type: 'file',
          size: 1000 + fileNo + (changed ? point : 0),
          mtimeMs: 1.7e12 + (changed ? point * 1000 : 0),
          fsId: fileNo + 100,
          extents: Uint8Array.of(1, 1, 0, 0, 10, 20),
        };
      }
    }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'hk-catalog-bench-'));
try {
  const db = openCatalog(join(dir, 'catalog.sqlite'));
  const catalog = new FileCatalog(db);
  for (let p = 0; p < POINTS; p++) {
    const t0 = performance.now();
    const ingest = catalog.beginPoint({
      repository: 'default',
      pointId: `point-${p}`,
      vmUuid: 'bench-vm',
      vmName: 'bench',
      time: new Date(Date.UTC(2025, 0, 1 + p)).toISOString(),
    })!;
    const volume = ingest.beginVolume('vda1');
    let batch: CatalogRecord[] = [];
    for (const r of tree(p)) {
      batch.push(r);
      if (batch.length === 5000) {
        volume.add(batch);
        batch = [];
      }
    }
    volume.add(batch);
    ingest.addVolume({
      name: 'vda1',
      disk: 'vda',
      offsetBytes: 0,
      sizeBytes: 1e12,
      filesystem: 'ext4',
      indexed: true,
      files: volume.files,
    });
    ingest.finish({ users: {}, groups: {} }, null);
    const s = (performance.now() - t0) / 1000;
    console.log(
      `point ${p}: ${volume.files} files in ${s.toFixed(1)} s (${Math.round(volume.files / s)} files/s), ${catalog.entryCount()} entry rows`,
    );
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  console.log(
    `catalog size: ${(statSync(join(dir, 'catalog.sqlite')).size / 2 ** 20).toFixed(0)} MiB`,
  );

  const listing: number[] = [];
  const listingCpu: number[] = [];
  for (let i = 0; i < 200; i++) {
    const point = catalog.queries.point('bench', { pointId: `point-${i % POINTS}` });
    const c0 = cpuMs();
    const t0 = performance.now();
    const l = catalog.queries.list(
      point,
      `/vda1/project-${(i * 37) % TOP}/folder-${(i * 53) % SUB}`,
    );
    listing.push(performance.now() - t0);
    listingCpu.push(cpuMs() - c0);
    if (l.entries.length !== PER_DIR) throw new Error(`listing returned ${l.entries.length}`);
  }
  console.log(
    `folder listing (${PER_DIR} entries): p95 ${p95(listing).toFixed(1)} ms, CPU p95 ${p95(listingCpu).toFixed(1)} ms (target ≤ 50)`,
  );

  const patterns = ['report-4242*', '*invoice-99*', 'notes-1?34.txt', '*.conf', 'photo-77777.jpg'];
  const search: number[] = [];
  const searchCpu: number[] = [];
  for (let i = 0; i < 50; i++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    searchFiles(db, catalog.queries, {
      vm: 'bench',
      pattern: patterns[i % patterns.length]!,
      allPoints: true,
      limit: 500,
    });
    search.push(performance.now() - t0);
    searchCpu.push(cpuMs() - c0);
  }
  console.log(
    `search across ${POINTS} points: p95 ${p95(search).toFixed(1)} ms, CPU p95 ${p95(searchCpu).toFixed(1)} ms (target ≤ 200)`,
  );
  for (const pattern of patterns) {
    const t0 = performance.now();
    const r = searchFiles(db, catalog.queries, { pattern, allPoints: true, limit: 500 });
    console.log(
      `  ${pattern}: ${r.hits.length}${r.truncated ? '+' : ''} hits in ${(performance.now() - t0).toFixed(1)} ms`,
    );
  }
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * File catalog benchmark (issue 5 goals): fills a catalog with synthetic points of one VM through
 * the real ingest path (default 1M files per point, 1% of them changed in each later point, so
 * unchanged entries are shared as in real catalogs), then measures:
 *   - folder listings of several sizes, including a 100k-entry folder read in pages (≤ 50 ms p95);
 *   - name searches across all points: substring, glob, exact, and patterns too short for the
 *     trigram index (≤ 200 ms each).
 * `npm run bench` runs it through runCatalogBench(); alone:
 *
 *   npx tsx scripts/bench/catalog-bench.ts [--files 1000000] [--points 5] [--keep catalog.sqlite]
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCatalog, type CatalogDb } from '../../src-main/engine/catalog/catalog';
import type { CatalogRecord } from '../../src-main/engine/file-catalog/catalog-record';
import { searchFiles } from '../../src-main/engine/file-catalog/catalog-search';
import { FileCatalog } from '../../src-main/engine/file-catalog/file-catalog';

export const LIST_GOAL_MS = 50;
export const SEARCH_GOAL_MS = 200;
/** Page size of the big-folder listing, as the browse window asks for. */
const PAGE = 500;

export interface TimingStat {
  what: string;
  p95Ms: number;
  /** p95 of the CPU time this process spent: what the query costs without the machine's load. */
  cpuP95Ms: number;
  maxMs: number;
  /** Entries listed or hits found (the last run). */
  count: number;
  truncated?: boolean;
}

export interface CatalogBenchResults {
  files: number;
  points: number;
  entryRows: number;
  ingestFilesPerSecond: number;
  catalogBytes: number;
  listings: TimingStat[];
  searches: TimingStat[];
}

const WORDS = ['report', 'invoice', 'notes', 'photo', 'backup', 'config', 'data', 'draft'];
const EXTS = ['txt', 'pdf', 'jpg', 'conf', 'csv', 'log', 'c', 'h', 'md'];

function p95(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
}

/** Shape of the synthetic volume: 100 × 90 folders of small size, plus one folder of FILES/10. */
function shape(files: number): { top: number; sub: number; perDir: number; big: number } {
  const big = Math.round(files / 10);
  const top = 90;
  const sub = 100;
  return { top, sub, perDir: Math.max(1, Math.round((files - big) / (top * sub))), big };
}

function* tree(point: number, files: number): Generator<CatalogRecord> {
  const { top, sub, perDir, big } = shape(files);
  const base = { mode: 0o644, uid: 1000, gid: 1000, owner: null, acl: null, link: null };
  let position = 0;
  const dir = (parent: number, name: string): CatalogRecord => ({
    ...base,
    attrs: null,
    parent,
    name,
    type: 'dir',
    size: 0,
    mtimeMs: 1.7e12,
    mode: 0o755,
    fsId: position + 2,
    extents: null,
  });
  let fileNo = 0;
  const file = (parent: number, name: string): CatalogRecord => {
    // 1% of the files change in each later point.
    const changed = point > 0 && fileNo % 100 === point % 100;
    const n = fileNo++;
    return {
      ...base,
      attrs: null,
      parent,
      name,
      type: 'file',
      size: 1000 + n + (changed ? point : 0),
      mtimeMs: 1.7e12 + (changed ? point * 1000 : 0),
      fsId: n + 100,
      extents: Uint8Array.of(1, 1, 0, 0, 10, 20),
    };
  };
  yield dir(-1, '');
  position++;
  for (let t = 0; t < top; t++) {
    const topPos = position++;
    yield dir(0, `project-${t}`);
    for (let s = 0; s < sub; s++) {
      const subPos = position++;
      yield dir(topPos, `folder-${s}`);
      for (let f = 0; f < perDir; f++, position++) {
        yield file(
          subPos,
          `${WORDS[fileNo % WORDS.length]}-${fileNo}.${EXTS[fileNo % EXTS.length]}`,
        );
      }
    }
  }
  const bigPos = position++;
  yield dir(0, 'big');
  for (let f = 0; f < big; f++, position++)
    yield file(bigPos, `item-${String(f).padStart(6, '0')}`);
}

function ingestPoints(
  catalog: FileCatalog,
  files: number,
  points: number,
  log: (l: string) => void,
): number {
  let seconds = 0;
  let total = 0;
  for (let p = 0; p < points; p++) {
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
    for (const r of tree(p, files)) {
      batch.push(r);
      if (batch.length === 2000) {
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
    seconds += s;
    total += volume.files;
    log(
      `point ${p}: ${volume.files} files in ${s.toFixed(1)} s (${Math.round(volume.files / s)} files/s), ${catalog.entryCount()} entry rows`,
    );
  }
  return total / seconds;
}

/** CPU time of this process in ms: on a loaded machine wall time also counts the others. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Timed<T> {
  samples: number[];
  cpu: number[];
  last: T;
}

function time<T>(runs: number, fn: (i: number) => T): Timed<T> {
  const samples: number[] = [];
  const cpu: number[] = [];
  let last!: T;
  for (let i = 0; i < runs; i++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    last = fn(i);
    samples.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  return { samples, cpu, last };
}

function stat<T>(what: string, t: Timed<T>, count: number, truncated?: boolean): TimingStat {
  return {
    what,
    p95Ms: p95(t.samples),
    cpuP95Ms: p95(t.cpu),
    maxMs: Math.max(...t.samples),
    count,
    ...(truncated !== undefined ? { truncated } : {}),
  };
}

function measureListings(catalog: FileCatalog, files: number, points: number): TimingStat[] {
  const { top, sub, perDir, big } = shape(files);
  const q = catalog.queries;
  const pointOf = (i: number) => q.point('bench', { pointId: `point-${i % points}` });
  const out: TimingStat[] = [];
  const small = time(200, (i) =>
    q.list(pointOf(i), `/vda1/project-${(i * 37) % top}/folder-${(i * 53) % sub}`),
  );
  out.push(stat(`folder of ${perDir} files`, small, small.last.entries.length));
  const mid = time(100, (i) => q.list(pointOf(i), `/vda1/project-${(i * 37) % top}`));
  out.push(stat(`folder of ${sub} folders`, mid, mid.last.entries.length));
  const root = time(50, (i) => q.list(pointOf(i), '/vda1'));
  out.push(stat('volume root', root, root.last.entries.length));
  const pages = Math.ceil(big / PAGE);
  const paged = time(100, (i) =>
    q.list(pointOf(i), '/vda1/big', { offset: ((i * 7919) % pages) * PAGE, limit: PAGE }),
  );
  out.push(stat(`${big}-entry folder, pages of ${PAGE}`, paged, paged.last.entries.length));
  const last = time(20, (i) =>
    q.list(pointOf(i), '/vda1/big', { offset: (pages - 1) * PAGE, limit: PAGE }),
  );
  out.push(stat(`${big}-entry folder, last page`, last, last.last.entries.length));
  const whole = time(5, (i) => q.list(pointOf(i), '/vda1/big'));
  out.push(stat(`${big}-entry folder, all at once (no goal)`, whole, whole.last.entries.length));
  return out;
}

/** Patterns a person types: substring, prefix, glob, exact; then ones shorter than a trigram. */
const PATTERNS = [
  '*invoice-99*',
  'report-4242*',
  'notes-1?34.txt',
  '*.conf',
  'photo-77777.jpg',
  'item-09999?',
  '*.c',
  'a*',
  'it*',
  '*x*',
  '?',
  '*.zz',
];

function measureSearches(db: CatalogDb, catalog: FileCatalog): TimingStat[] {
  return PATTERNS.map((pattern) => {
    const r = time(7, () =>
      searchFiles(db, catalog.queries, { vm: 'bench', pattern, allPoints: true, limit: 500 }),
    );
    return stat(pattern, r, r.last.hits.length, r.last.truncated);
  });
}

export function runCatalogBench(
  options: {
    files?: number;
    points?: number;
    log?: (line: string) => void;
    /** Keep the catalog in this file and reuse it when it exists (to iterate on queries). */
    keep?: string;
  } = {},
): CatalogBenchResults {
  const files = options.files ?? 1_000_000;
  const points = options.points ?? 5;
  const log = options.log ?? ((l: string) => console.log(l));
  const dir = mkdtempSync(join(tmpdir(), 'hk-catalog-bench-'));
  const path = options.keep ?? join(dir, 'catalog.sqlite');
  try {
    const reuse = options.keep !== undefined && existsSync(options.keep);
    const db = openCatalog(path);
    try {
      const catalog = new FileCatalog(db);
      const ingestFilesPerSecond = reuse ? 0 : ingestPoints(catalog, files, points, log);
      db.pragma('wal_checkpoint(TRUNCATE)');
      const catalogBytes = statSync(path).size;
      return {
        files,
        points,
        entryRows: catalog.entryCount(),
        ingestFilesPerSecond,
        catalogBytes,
        listings: measureListings(catalog, files, points),
        searches: measureSearches(db, catalog),
      };
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatCatalogBench(r: CatalogBenchResults): string {
  const row = (s: TimingStat, goal: number, noGoal = false): string =>
    `  ${s.what.padEnd(42)} p95 ${s.p95Ms.toFixed(1).padStart(7)} ms (CPU ${s.cpuP95Ms.toFixed(1).padStart(6)})  max ${s.maxMs.toFixed(1).padStart(7)} ms  ` +
    `${String(s.count).padStart(6)}${s.truncated ? '+' : ' '} ${noGoal ? '' : `≤ ${goal} ms ${s.p95Ms <= goal ? 'met' : 'NOT met'}`}`;
  return [
    `File catalog: ${r.files} files × ${r.points} points, ${r.entryRows} entry rows, ` +
      `${(r.catalogBytes / 2 ** 20).toFixed(0)} MiB, ingest ${Math.round(r.ingestFilesPerSecond)} files/s`,
    'Folder listing (entries):',
    ...r.listings.map((s) => row(s, LIST_GOAL_MS, s.what.includes('no goal'))),
    `Name search across all ${r.points} points (hits, limit 500):`,
    ...r.searches.map((s) => row(s, SEARCH_GOAL_MS)),
  ].join('\n');
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const k = process.argv.indexOf('--keep');
  const results = runCatalogBench({
    files: arg('files', 1_000_000),
    points: arg('points', 5),
    ...(k >= 0 && process.argv[k + 1] ? { keep: process.argv[k + 1] } : {}),
  });
  console.log(formatCatalogBench(results));
}

/**
 * What cataloging costs after a backup: the "cataloging" phase (catalogPoint: open the point's
 * disks from the repository, list volumes, walk every file system, write the catalog and the
 * point's file index) timed on a committed point, with the event-loop lag it causes.
 *
 * `npm run bench` calls catalogOnce() on its full backup. Run alone, this script stores the bench
 * disk (.bench/cache/bench-disk.qcow2, built by `npm run bench` or bench-disk.ts) as a point of a
 * private repository once (under .tmp/catalog-overhead/), then catalogs it afresh each run:
 *
 *   npx tsx scripts/bench/catalog-overhead.ts [--runs 3]
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openCatalog } from '../../src-main/engine/catalog/catalog';
import { catalogPoint } from '../../src-main/engine/file-catalog/catalog-point';
import { detectGuestFacts } from '../../src-main/engine/file-catalog/catalog-phase';
import { FileCatalog } from '../../src-main/engine/file-catalog/file-catalog';
import { LocalDirectoryBackend } from '../../src-main/engine/repository/backends/local-directory';
import type { PointManifest } from '../../src-main/engine/repository/manifest';
import { Repository } from '../../src-main/engine/repository/repository';
import { run } from '../../test/harness/exec';

export interface CatalogingMeasure {
  files: number;
  volumes: number;
  wallMs: number;
  filesPerSecond: number;
  lagP99Ms: number;
  lagMaxMs: number;
  warnings: string[];
}

/** Catalogs one committed point into a fresh, throw-away catalog, as the backup job's phase does. */
export async function catalogOnce(
  repository: Repository,
  manifest: PointManifest,
): Promise<CatalogingMeasure> {
  const dir = await mkdtemp(join(tmpdir(), 'hk-catalog-overhead-'));
  const db = openCatalog(join(dir, 'catalog.sqlite'));
  const lag = monitorEventLoopDelay({ resolution: 10 });
  try {
    const catalog = new FileCatalog(db);
    lag.enable();
    const began = performance.now();
    const result = await catalogPoint({
      catalog,
      repository,
      repositoryName: 'bench',
      manifest,
      detectGuest: detectGuestFacts,
    });
    const wallMs = performance.now() - began;
    lag.disable();
    return {
      files: result.files,
      volumes: result.volumes.filter((v) => v.indexed).length,
      wallMs,
      filesPerSecond: result.files / (wallMs / 1000),
      lagP99Ms: lag.percentile(99) / 1e6,
      lagMaxMs: lag.max / 1e6,
      warnings: result.warnings,
    };
  } finally {
    lag.disable();
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PASSPHRASE = 'hyperkeep catalog overhead';
const VM = { uuid: '6f1c1e0e-3c1a-4d7e-9a51-00000000be01', name: 'catalog-bench' };

/** The bench disk stored once as a point: 4 MiB reads, zero blocks as holes (as a backup sees it). */
async function preparePoint(work: string): Promise<{ repository: Repository; pointId: string }> {
  const repoDir = join(work, 'repo');
  const idFile = join(work, 'point-id');
  if (existsSync(idFile)) {
    const repository = await Repository.open(new LocalDirectoryBackend(repoDir), {
      passphrase: PASSPHRASE,
    });
    return { repository, pointId: (await readFile(idFile, 'utf8')).trim() };
  }
  const qcow2 = join(ROOT, '.bench/cache/bench-disk.qcow2');
  if (!existsSync(qcow2))
    throw new Error(`${qcow2} is missing: run \`npm run bench\` once (it builds the bench disk)`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const raw = join(work, 'bench-disk.raw');
  await run('qemu-img', ['convert', '-O', 'raw', qcow2, raw], { timeoutMs: 600_000 });
  const repository = await Repository.init(new LocalDirectoryBackend(repoDir), {
    encrypt: true,
    passphrase: PASSPHRASE,
    kdf: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  });
  const writer = await repository.startPoint({ vm: VM });
  const size = (await stat(raw)).size;
  const disk = writer.addDisk({ name: 'vda', sizeBytes: size });
  const fh = await open(raw, 'r');
  try {
    const buf = new Uint8Array(4 << 20);
    const zero = new Uint8Array(buf.length);
    for (let off = 0; off < size; off += buf.length) {
      const len = Math.min(buf.length, size - off);
      await fh.read(buf, 0, len, off);
      const piece = buf.subarray(0, len);
      if (Buffer.compare(piece, zero.subarray(0, len)) === 0) disk.markHole(off, len);
      else await disk.writeExtent(off, piece);
    }
  } finally {
    await fh.close();
  }
  const manifest = await writer.commit({ consistency: 'crash-consistent' });
  await rm(raw, { force: true });
  await writeFile(idFile, manifest.id);
  return { repository, pointId: manifest.id };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 3;
  const work = join(ROOT, '.tmp/catalog-overhead');
  const { repository, pointId } = await preparePoint(work);
  try {
    const manifest = await repository.getPoint(pointId);
    for (let r = 0; r < runs; r++) {
      // A fresh repository each run: the chunk cache starts cold, as after a backup's own reads.
      const fresh =
        r === 0
          ? repository
          : await Repository.open(new LocalDirectoryBackend(join(work, 'repo')), {
              passphrase: PASSPHRASE,
            });
      const m = await catalogOnce(fresh, manifest);
      if (fresh !== repository) await fresh.close();
      console.log(
        `run ${r + 1}: ${m.files} files in ${m.volumes} volume(s) in ${(m.wallMs / 1000).toFixed(2)} s ` +
          `(${Math.round(m.filesPerSecond)} files/s), event-loop lag p99 ${m.lagP99Ms.toFixed(1)} ms, ` +
          `max ${m.lagMaxMs.toFixed(0)} ms${m.warnings.length ? `; warnings: ${m.warnings.join(' | ')}` : ''}`,
      );
    }
  } finally {
    await repository.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

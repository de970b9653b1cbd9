/**
 * What cataloging costs after a backup: the "cataloging" phase (catalogPoint: open the point's
 * disks from the repository, list volumes, walk every file system, write the catalog and the
 * point's file index) timed on a committed point, with the event-loop lag it causes.
 *
 * `npm run bench` calls catalogOnce() on its full backup. Run alone, this script stores the bench
 * disk (.bench/cache/bench-disk.qcow2, built by `npm run bench` or bench-disk.ts) as a point of a
 * private repository once (under .tmp/catalog-overhead/), then catalogs it afresh each run:
 *
 *   npx tsx scripts/bench/catalog-overhead.ts [--runs 3] [--source bench-disk.raw]
 *
 * --source reads the disk from a raw image of the same content instead of the repository (as if
 * the backup handed its still-open source to the cataloging phase); --nbd serves that image with
 * qemu-nbd and reads it over NBD, as the backup job's cataloging phase reads a running VM's export.
 *
 * Each run prints wall time, files/s, event-loop lag, process CPU and CPU per thread (from
 * /proc/self/task), peak RSS (sampled every 50 ms, with heap/external/arrayBuffers at the peak)
 * and RSS before and after the phase (catalogPoint ends by giving its heap back).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openCatalog } from '../../src-main/engine/catalog/catalog';
import { catalogPoint } from '../../src-main/engine/file-catalog/catalog-point';
import { detectGuestFacts } from '../../src-main/engine/file-catalog/catalog-phase';
import { FileCatalog } from '../../src-main/engine/file-catalog/file-catalog';
import { FileReader } from '../../src-main/engine/io/file-reader';
import type { RandomAccessReader } from '../../src-main/engine/io/random-access';
import { NbdClient } from '../../src-main/engine/nbd/client';
import { NbdDiskReader } from '../../src-main/engine/nbd/disk-reader';
import { LocalDirectoryBackend } from '../../src-main/engine/repository/backends/local-directory';
import type { PointManifest } from '../../src-main/engine/repository/manifest';
import { Repository } from '../../src-main/engine/repository/repository';
import { run } from '../../test/harness/exec';
import { startQemuNbd } from '../../test/harness/nbd-servers';

export interface CatalogingMeasure {
  files: number;
  volumes: number;
  wallMs: number;
  filesPerSecond: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Process CPU (user + system) spent while cataloging, all threads. */
  cpuMs: number;
  /** CPU seconds per thread name (main, workers, libuv pool) while cataloging. */
  threadCpuS: Record<string, number>;
  /**
   * CPU seconds of each thread that ended during the phase (the decoding and ingest workers stop
   * at its end), as last sampled (every 500 ms): /proc forgets a thread once it ends.
   */
  endedThreadCpuS: number[];
  /** process.memoryUsage() at the highest RSS sampled (every 50 ms) while cataloging. */
  peak: NodeJS.MemoryUsage;
  /** RSS just before, and once the phase returned. */
  rssBefore: number;
  rssAfter: number;
  warnings: string[];
  /** How each volume was cataloged: walked whole, or from what changed since the last point. */
  notes: string[];
}

/** CPU seconds of each thread of this process, by thread id, from /proc/self/task. */
async function threadTimes(): Promise<Map<string, { comm: string; sec: number }>> {
  const out = new Map<string, { comm: string; sec: number }>();
  let tids: string[];
  try {
    tids = await readdir('/proc/self/task');
  } catch {
    return out; // not Linux: per-thread figures are simply left out
  }
  for (const tid of tids) {
    try {
      const comm = (await readFile(`/proc/self/task/${tid}/comm`, 'utf8')).trim();
      const st = await readFile(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { comm, sec: (Number(fields[11]) + Number(fields[12])) / 100 });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** CPU seconds per thread of this process, summed by thread name. */
export async function threadCpu(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { comm, sec } of (await threadTimes()).values()) out[comm] = (out[comm] ?? 0) + sec;
  return out;
}

function threadCpuDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, sec] of Object.entries(after)) {
    const d = sec - (before[name] ?? 0);
    if (d > 0.005) out[name] = Math.round(d * 100) / 100;
  }
  return out;
}

/**
 * Catalogs one committed point as the backup job's phase does: into a fresh, throw-away catalog,
 * or into `catalogDir`'s (kept), where the points cataloged before make this one incremental.
 */
export async function catalogOnce(
  repository: Repository,
  manifest: PointManifest,
  /** The point's disks read from these instead of the repository (catalogPoint's diskReaders). */
  diskReaders?: ReadonlyMap<string, RandomAccessReader>,
  catalogDir?: string,
): Promise<CatalogingMeasure> {
  const dir = catalogDir ?? (await mkdtemp(join(tmpdir(), 'hk-catalog-overhead-')));
  const db = openCatalog(join(dir, 'catalog.sqlite'));
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const rssBefore = process.memoryUsage().rss;
  let peak = process.memoryUsage();
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > peak.rss) peak = m;
  }, 50);
  // Threads seen during the phase, with their CPU time when first and last sampled.
  const seen = new Map<string, { first: number; last: number }>();
  const sampleThreads = async (): Promise<void> => {
    for (const [tid, { sec }] of await threadTimes()) {
      const known = seen.get(tid);
      if (known) known.last = sec;
      else seen.set(tid, { first: sec, last: sec });
    }
  };
  let sampling: Promise<void> = Promise.resolve();
  // Rarely: each sample opens two /proc files per thread, on the thread being measured.
  const threadSampler = setInterval(() => {
    sampling = sampling.then(sampleThreads);
  }, 500);
  try {
    const catalog = new FileCatalog(db);
    await sampleThreads();
    const firstSample = new Set(seen.keys());
    const threadsBefore = await threadCpu();
    const cpuBefore = process.cpuUsage();
    lag.enable();
    const began = performance.now();
    const result = await catalogPoint({
      catalog,
      repository,
      repositoryName: 'bench',
      manifest,
      detectGuest: detectGuestFacts,
      ...(diskReaders ? { diskReaders } : {}),
    });
    const wallMs = performance.now() - began;
    lag.disable();
    const cpu = process.cpuUsage(cpuBefore);
    const threadCpuS = threadCpuDelta(threadsBefore, await threadCpu());
    clearInterval(threadSampler);
    await sampling;
    const alive = await threadTimes();
    // Threads born during the phase start from zero (sampling may have missed their first ticks).
    const born = (tid: string, first: number) => (firstSample.has(tid) ? first : 0);
    const endedThreadCpuS = [...seen]
      .filter(([tid]) => !alive.has(tid))
      .map(([tid, t]) => Math.round((t.last - born(tid, t.first)) * 100) / 100)
      .filter((sec) => sec > 0.005)
      .sort((a, b) => b - a);
    clearInterval(sampler);
    const rssAfter = process.memoryUsage().rss;
    return {
      files: result.files,
      volumes: result.volumes.filter((v) => v.indexed).length,
      wallMs,
      filesPerSecond: result.files / (wallMs / 1000),
      lagP99Ms: lag.percentile(99) / 1e6,
      lagMaxMs: lag.max / 1e6,
      cpuMs: (cpu.user + cpu.system) / 1000,
      threadCpuS,
      endedThreadCpuS,
      peak,
      rssBefore,
      rssAfter,
      warnings: result.warnings,
      notes: result.notes,
    };
  } finally {
    clearInterval(sampler);
    clearInterval(threadSampler);
    lag.disable();
    db.close();
    if (!catalogDir) await rm(dir, { recursive: true, force: true });
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

/** `image` served read-only by qemu-nbd on a private socket, as a reader; closing stops it. */
async function serveOverNbd(image: string): Promise<RandomAccessReader> {
  const dir = await mkdtemp(join(tmpdir(), 'hk-catalog-nbd-'));
  const socketPath = join(dir, 'nbd.sock');
  const server = await startQemuNbd(image, { socketPath }, ['--format=raw']);
  const reader = new NbdDiskReader(await NbdClient.connect({ endpoint: { socketPath } }));
  return {
    size: reader.size,
    read: (offset, length) => reader.read(offset, length),
    close: async () => {
      await reader.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 3;
  // --source RAW: read the disk from a raw image of the same content (as a backup could hand
  // over its source), to see what cataloging costs without reading the point back.
  const s = process.argv.indexOf('--source');
  const n = process.argv.indexOf('--nbd');
  const source =
    s >= 0
      ? await FileReader.open(process.argv[s + 1]!)
      : n >= 0
        ? await serveOverNbd(process.argv[n + 1]!)
        : null;
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
      const m = await catalogOnce(
        fresh,
        manifest,
        source ? new Map([[manifest.disks[0]!.name, source]]) : undefined,
      );
      if (fresh !== repository) await fresh.close();
      console.log(
        `run ${r + 1}: ${m.files} files in ${m.volumes} volume(s) in ${(m.wallMs / 1000).toFixed(2)} s ` +
          `(${Math.round(m.filesPerSecond)} files/s), event-loop lag p99 ${m.lagP99Ms.toFixed(1)} ms, ` +
          `max ${m.lagMaxMs.toFixed(0)} ms${m.warnings.length ? `; warnings: ${m.warnings.join(' | ')}` : ''}`,
      );
      const mib = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MiB`;
      console.log(
        `  cpu ${(m.cpuMs / 1000).toFixed(2)} s; peak rss ${mib(m.peak.rss)} (heapUsed ${mib(m.peak.heapUsed)}, ` +
          `external ${mib(m.peak.external)}, arrayBuffers ${mib(m.peak.arrayBuffers)}); rss before ${mib(m.rssBefore)}, after ${mib(m.rssAfter)}`,
      );
      // Threads that ended during the phase (the decoding and ingest workers stop at its end)
      // are not in /proc any more: their CPU is what the process total has beyond the listed
      // threads, split per thread as last sampled.
      const listed = Object.values(m.threadCpuS).reduce((a, b) => a + b, 0);
      const ended = m.cpuMs / 1000 - listed;
      const each = m.endedThreadCpuS.map((s) => s.toFixed(2)).join(' + ');
      console.log(
        `  threads: ${Object.entries(m.threadCpuS)
          .map(([name, s]) => `${name} ${s.toFixed(2)} s`)
          .join(
            ', ',
          )}${ended > 0.05 ? `, ended threads ${ended.toFixed(2)} s${each ? ` (${each} sampled)` : ''}` : ''}`,
      );
    }
  } finally {
    await repository.close();
    await source?.close();
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

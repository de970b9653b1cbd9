/**
 * The restore half of the benchmark on its own, without the lab: `tsx scripts/bench/restore-bench.ts`.
 * The cached bench disk (.bench/cache, built by `npm run bench`) is stored once as a restore point
 * of a private repository (straight from the qcow2, no VM), cataloged, and backed up by restic
 * and borg; later runs reuse all of that (HK_RESTORE_BENCH_DIR, default .tmp/restore-bench) and
 * time only the restores: one file (through the catalog, and by parsing the file system), the
 * whole disk, `restic restore` and `borg extract` of the same data.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCatalog } from '../../src-main/engine/catalog/catalog';
import { catalogPoint } from '../../src-main/engine/file-catalog/catalog-point';
import { FileCatalog } from '../../src-main/engine/file-catalog/file-catalog';
import { openDiskImage } from '../../src-main/engine/formats/open-image';
import { LocalDirectoryBackend } from '../../src-main/engine/repository/backends/local-directory';
import { Repository } from '../../src-main/engine/repository/repository';
import { pathExists, run } from '../../test/harness/exec';
import {
  openCounting,
  restoreDiskFile,
  restoreOneFile,
  restoreOneFileFromCatalog,
} from './hyperkeep-steps';
import { measureInProcess } from './measure';
import { Peers } from './peers';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 1024 * 1024;
const PASSPHRASE = process.env.HK_BENCH_PASSPHRASE ?? 'hyperkeep benchmark passphrase';
/** The file the full benchmark restores (pickSampleFile in run.ts picks it the same way). */
const SAMPLE =
  process.env.HK_RESTORE_BENCH_FILE ?? '/usr_share/doc/libboost-filesystem1.74.0/copyright';

const log = (line: string): void => {
  process.stdout.write(`[restore-bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

/** Stores the qcow2's virtual disk as disk vda of one point, reading only allocated extents. */
async function importImage(repository: Repository, image: string): Promise<string> {
  const { reader } = await openDiskImage(image, { format: 'qcow2' });
  const point = await repository.startPoint({ vm: { uuid: 'restore-bench', name: 'bench' } });
  try {
    const disk = point.addDisk({ name: 'vda', sizeBytes: reader.size });
    for (const extent of await reader.allocationMap()) {
      if (extent.kind !== 'data') {
        disk.markHole(extent.offset, extent.length);
        continue;
      }
      for (let at = extent.offset; at < extent.offset + extent.length; at += 4 * MiB) {
        const length = Math.min(4 * MiB, extent.offset + extent.length - at);
        await disk.writeExtent(at, await reader.read(at, length));
      }
    }
    return (await point.commit({ consistency: 'crash-consistent' })).id;
  } catch (err) {
    await point.abort();
    throw err;
  } finally {
    await reader.close();
  }
}

interface Setup {
  repoDir: string;
  catalogPath: string;
  pointId: string;
  peers: Peers;
}

async function setUp(dir: string, image: string): Promise<Setup> {
  const repoDir = join(dir, 'hyperkeep');
  const catalogPath = join(dir, 'catalog.sqlite');
  const peers = new Peers(join(dir, 'peers'), PASSPHRASE);
  if (!(await pathExists(join(repoDir, 'config')))) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, 'peers'), { recursive: true });
    log(`Storing ${image} in a new repository`);
    const repository = await Repository.init(new LocalDirectoryBackend(repoDir), {
      encrypt: true,
      passphrase: PASSPHRASE,
    });
    try {
      const pointId = await importImage(repository, image);
      log(`Cataloging point ${pointId}`);
      const db = openCatalog(catalogPath);
      try {
        await catalogPoint({
          catalog: new FileCatalog(db),
          repository,
          repositoryName: 'bench',
          manifest: await repository.getPoint(pointId),
        });
      } finally {
        db.close();
      }
    } finally {
      await repository.close();
    }
    log('restic backup');
    await peers.resticBackup(image);
    log('borg create');
    await peers.borgCreate(image);
  }
  const repository = await Repository.open(new LocalDirectoryBackend(repoDir), {
    passphrase: PASSPHRASE,
  });
  const points = await repository.listPoints();
  await repository.close();
  return { repoDir, catalogPath, pointId: points[points.length - 1]!.id, peers };
}

async function main(): Promise<void> {
  const dir = process.env.HK_RESTORE_BENCH_DIR ?? join(ROOT, '.tmp', 'restore-bench');
  const image = join(ROOT, '.bench', 'cache', 'bench-disk.qcow2');
  if (!(await pathExists(image)))
    throw new Error(`${image} is missing: run \`npm run bench\` once to build the bench disk`);
  const setup = await setUp(dir, image);
  const only = new Set((process.env.HK_RESTORE_BENCH_STEPS ?? 'file,disk,peers').split(','));
  // Every restore's output stays until all are timed, so each writes into pages the file system
  // has to find anew. Deleting one output before the next restore hands the next tool the
  // just-freed page cache, which on a VM (whose freed memory the host reclaims after a moment)
  // made whoever ran second several times faster at writing than whoever ran first.
  const outputs = [join(dir, 'restored-vda.raw'), join(dir, 'peer-out')];
  for (const path of outputs) await rm(path, { recursive: true, force: true });
  log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  if (only.has('file')) {
    const db = openCatalog(setup.catalogPath);
    try {
      const viaCatalog = await openCounting(setup.repoDir, PASSPHRASE);
      const fast = await measureInProcess(() =>
        restoreOneFileFromCatalog(
          viaCatalog.repository,
          new FileCatalog(db),
          setup.pointId,
          `/vda${SAMPLE}`,
        ),
      );
      await viaCatalog.repository.close();
      log(
        `one file via catalog: ${sec(fast.wallMs)} (CPU ${sec(fast.cpuMs)}), ${mib(fast.value.sizeBytes)}, ${mib(viaCatalog.backend.bytesRead)} read from the repository, sha256 ${fast.value.sha256.slice(0, 12)}`,
      );
    } finally {
      db.close();
    }
    const viaFs = await openCounting(setup.repoDir, PASSPHRASE);
    const slow = await measureInProcess(() =>
      restoreOneFile(viaFs.repository, setup.pointId, 'vda', SAMPLE),
    );
    await viaFs.repository.close();
    log(
      `one file by parsing ext4: ${sec(slow.wallMs)} (CPU ${sec(slow.cpuMs)}), ${mib(viaFs.backend.bytesRead)} read from the repository, sha256 ${slow.value.sha256.slice(0, 12)}`,
    );
  }

  if (only.has('disk')) {
    const forDisk = await openCounting(setup.repoDir, PASSPHRASE);
    const out = join(dir, 'restored-vda.raw');
    const disk = await measureInProcess(() =>
      restoreDiskFile(forDisk.repository, setup.pointId, 'vda', out),
    );
    await forDisk.repository.close();
    const allocated = (await stat(out)).blocks * 512;
    log(
      `disk restore: ${sec(disk.wallMs)} (CPU ${sec(disk.cpuMs)}, fsync ${sec(disk.value.finishMs)}), ${mib(disk.value.writtenBytes)} written (${mib(allocated)} allocated), ${mib(forDisk.backend.bytesRead)} read, peak RSS ${mib(disk.peakRssBytes)}`,
    );
    if (process.env.HK_RESTORE_BENCH_COMPARE) {
      const { stdout } = await run(
        'qemu-img',
        ['compare', '-f', 'raw', '-F', 'qcow2', out, image],
        {
          timeoutMs: 300_000,
        },
      );
      log(`qemu-img compare: ${stdout.trim()}`);
    }
  }

  if (only.has('peers')) {
    const target = join(dir, 'peer-out');
    const restic = await setup.peers.resticRestore(join(target, 'restic'));
    log(
      `restic restore: ${sec(restic.wallMs)} (CPU ${sec(restic.cpuMs)}), peak RSS ${mib(restic.peakRssBytes)}`,
    );
    const borg = await setup.peers.borgExtract(join(target, 'borg'));
    log(
      `borg extract: ${sec(borg.wallMs)} (CPU ${sec(borg.cpuMs)}), peak RSS ${mib(borg.peakRssBytes)}`,
    );
  }
  for (const path of outputs) await rm(path, { recursive: true, force: true });
  log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `restore-bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);

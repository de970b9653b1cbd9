/**
 * `npm run bench`: Hyperkeep's backup and restore against virtnbdbackup, restic and borg on one
 * 2 GiB VM disk of real files, in a private lab (HYPERKEEP_LAB_DIR, default /var/tmp/hk-lab-bench).
 * Prints a table of ratios next to the goals of issue 4 and writes the numbers to
 * .bench/results-<time>.json (and .bench/latest.json).
 *
 * Order matters and is fixed: every tool reads the same, page-cached image; the ~1% change is
 * written through the QEMU monitor while the VM runs, then both incrementals run.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLibvirtConnector } from '../../src-main/engine/connectors/libvirt/libvirt-connector';
import { run, virsh } from '../../test/harness/exec';
import { labStatus, startLab, stopLab } from '../../test/harness/lab';
import { changeDisk, changeImageOffline, ensurePristineImage, startBenchVm } from './bench-disk';
import { openCatalog } from '../../src-main/engine/catalog/catalog';
import { catalogPoint } from '../../src-main/engine/file-catalog/catalog-point';
import { FileCatalog } from '../../src-main/engine/file-catalog/file-catalog';
import {
  backupOnce,
  initRepository,
  openCounting,
  restoreDiskFile,
  restoreOneFileFromCatalog,
} from './hyperkeep-steps';
import {
  measureInProcess,
  qemuCpuSeconds,
  type CommandMeasure,
  type InProcessMeasure,
} from './measure';
import type { DataPathTimings } from '../../src-main/engine/repository/data-path-timings';
import { Peers, sessionUri } from './peers';
import { printReport, type BenchResults, type DataPathCpu } from './report';
import { runCatalogBench } from './catalog-bench';
import { catalogOnce, type CatalogingMeasure } from './catalog-overhead';
import { describeCpuFloor, measureCpuFloor } from './cpu-floor';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BENCH_DIR = join(ROOT, '.bench');
const MiB = 1024 * 1024;

const log = (line: string): void => {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

async function duBytes(path: string): Promise<number> {
  const { stdout } = await run('du', ['-sb', path]);
  return Number(stdout.split('\t')[0]);
}

/** A regular file of 1–64 MiB from /usr/share, as it lies in the image (/usr_share/…). */
async function pickSampleFile(): Promise<{ source: string; inImage: string }> {
  const { stdout } = await run('sh', [
    '-c',
    'find /usr/share -type f -size +1M -size -64M 2>/dev/null | sort | head -n 1',
  ]);
  const source = stdout.trim() || '/usr/share/common-licenses/GPL-3';
  return { source, inImage: `/usr_share${source.slice('/usr/share'.length)}` };
}

function peer(m: CommandMeasure): { wallMs: number; peakRssBytes: number } {
  return { wallMs: m.wallMs, peakRssBytes: m.peakRssBytes };
}

/** One line per Hyperkeep backup, so that a run cut short still shows what it measured. */
function describe(m: InProcessMeasure<{ timings: DataPathTimings }>): string {
  const t = m.value.timings;
  const sec = (ms: number): string => (ms / 1000).toFixed(1);
  return (
    `${sec(m.wallMs)} s, lag p99 ${m.lagP99Ms.toFixed(1)} ms (max ${m.lagMaxMs.toFixed(0)}), ` +
    `peak RSS ${(m.peakRssBytes / MiB).toFixed(0)} MiB; read wait ${sec(t.readWaitMs)} s, ` +
    `chunk ${sec(t.chunkMs)}, hash ${sec(t.hashMs)}, seal wait ${sec(t.sealWaitMs)}, ` +
    `compress ${sec(t.compressMs)}, encrypt ${sec(t.encryptMs)}, write ${sec(t.writeMs)}`
  );
}

/** Hyperkeep's checkpoints (hk-…) off the VM, as after removing it from Hyperkeep. */
async function deleteHyperkeepCheckpoints(uri: string, vm: string): Promise<void> {
  const names = (await virsh(uri, 'checkpoint-list', vm, '--name')).split('\n');
  for (const name of names.map((n) => n.trim()).filter((n) => n.startsWith('hk-'))) {
    await virsh(uri, 'checkpoint-delete', vm, name);
  }
}

async function sha256Of(path: string): Promise<string> {
  return (await run('sha256sum', [path])).stdout.split(' ')[0]!;
}

async function main(): Promise<void> {
  const began = performance.now();
  const labDir = resolve(process.env.HYPERKEEP_LAB_DIR ?? '/var/tmp/hk-lab-bench');
  const passphrase = process.env.HK_BENCH_PASSPHRASE ?? 'hyperkeep benchmark passphrase';
  const scratch = join(BENCH_DIR, 'run');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });

  const image = await ensurePristineImage(join(BENCH_DIR, 'cache'), log);
  const labWasRunning = (await labStatus(labDir)).state === 'running';
  log(`${labWasRunning ? 'Using' : 'Starting'} the lab in ${labDir}`);
  const lab = await startLab({ dir: labDir });
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  const vm = await startBenchVm(lab, image.path, join(labDir, 'bench-vm'));
  const connector = createLibvirtConnector({ type: 'libvirt', uri: host.uri });
  const peers = new Peers(scratch, passphrase);
  const repoDir = join(scratch, 'hyperkeep');
  try {
    // Every tool then reads the image from the page cache, none pays the first disk read.
    await run('sh', ['-c', 'cat "$1" > /dev/null', 'sh', vm.disk], { timeoutMs: 300_000 });
    const imageBytes = await duBytes(vm.disk);
    log(`VM ${vm.name} runs; its image holds ${(imageBytes / MiB).toFixed(0)} MiB`);

    // virtnbdbackup refuses to run while a checkpoint it did not create exists ("foreign
    // checkpoint"), so the two libvirt-based tools run one after the other on the VM, each with
    // its own ~1% change between its full and its incremental.
    const repository = await initRepository(repoDir, passphrase);
    // The full backup as the backup job runs it: the data path, then the "cataloging" phase
    // while libvirt still exports the disks. The data path's time is the wall time without it.
    log('Hyperkeep full backup, then cataloging it from the export');
    // One catalog for both points, as in a home: the incremental's is cataloged against the full's.
    const catalogDir = join(scratch, 'job-catalog');
    await mkdir(catalogDir, { recursive: true });
    let cataloging: CatalogingMeasure | undefined;
    // The CPU the data path used, here and in QEMU's NBD server, up to the cataloging phase.
    const qemuBefore = await qemuCpuSeconds(vm.name);
    const cpuBefore = process.cpuUsage();
    let dataPathCpu: DataPathCpu | undefined;
    const withCatalog = await measureInProcess(() =>
      backupOnce(connector, repository, vm.uuid, undefined, undefined, async (point, disks) => {
        const cpu = process.cpuUsage(cpuBefore);
        const qemuS = (await qemuCpuSeconds(vm.name)) - qemuBefore;
        dataPathCpu = { hyperkeepMs: (cpu.user + cpu.system) / 1000, qemuMs: qemuS * 1000 };
        cataloging = await catalogOnce(repository, point, disks, catalogDir);
      }),
    );
    if (!cataloging || !dataPathCpu) throw new Error('The backup did not run its cataloging phase');
    const full = { ...withCatalog, wallMs: withCatalog.wallMs - cataloging.wallMs };
    const hkFullBytes = await duBytes(repoDir);
    log(`  ${describe(full)}`);
    log(`  cataloged ${cataloging.files} files in ${(cataloging.wallMs / 1000).toFixed(1)} s`);
    log('Changing 1% of the disk through the QEMU monitor');
    const changedBytes = await changeDisk(vm, join(labDir, 'bench-vm'), 0.01);
    log('Hyperkeep incremental backup, then cataloging it from the export');
    let incCataloging: CatalogingMeasure | undefined;
    const incWithCatalog = await measureInProcess(() =>
      backupOnce(
        connector,
        repository,
        vm.uuid,
        full.value.result.pointId,
        undefined,
        async (point, disks) => {
          incCataloging = await catalogOnce(repository, point, disks, catalogDir);
        },
      ),
    );
    if (!incCataloging) throw new Error('The incremental did not run its cataloging phase');
    const inc = { ...incWithCatalog, wallMs: incWithCatalog.wallMs - incCataloging.wallMs };
    log(`  ${describe(inc)}`);
    log(
      `  cataloged ${incCataloging.files} files in ${(incCataloging.wallMs / 1000).toFixed(1)} s`,
    );
    log('Shutting the VM off, changing 1% of its image with qemu-io, then backing it up');
    await virsh(vm.uri, 'destroy', vm.name);
    await changeImageOffline(vm, join(labDir, 'bench-vm'), 0.01);
    const offline = await measureInProcess(() =>
      backupOnce(connector, repository, vm.uuid, inc.value.result.pointId),
    );
    log(`  ${describe(offline)}`);
    await virsh(vm.uri, 'start', vm.name);
    await repository.close();
    await deleteHyperkeepCheckpoints(vm.uri, vm.name);

    log('virtnbdbackup -l full -z');
    const uri = sessionUri(host.socketPath);
    const vnbFull = await peers.virtnbdbackup(uri, vm.name, 'full');
    const vnbFullBytes = await duBytes(peers.virtnbdbackupDir);
    log('Changing 1% of the disk again');
    await changeDisk(vm, join(labDir, 'bench-vm'), 0.01);
    log('virtnbdbackup -l inc');
    const vnbInc = await peers.virtnbdbackup(uri, vm.name, 'inc');
    // The same change while the VM is off: virtnbdbackup serves the image with qemu-nbd and
    // reads its checkpoint's bitmap, as Hyperkeep's powered-off incremental above did.
    log('Shutting the VM off, changing 1% of its image again, then virtnbdbackup -l inc');
    await virsh(vm.uri, 'destroy', vm.name);
    await changeImageOffline(vm, join(labDir, 'bench-vm'), 0.01);
    const vnbOffline = await peers.virtnbdbackup(uri, vm.name, 'inc');

    log('restic backup');
    const restic = await peers.resticBackup(vm.disk);
    log('borg create');
    const borg = await peers.borgCreate(vm.disk);

    log('Restores');
    const pointId = inc.value.result.pointId;
    const sample = await pickSampleFile();
    // Catalog the point as the backup job's cataloging phase does (not timed): a file restore
    // of a cataloged point reads the file's extents from the catalog.
    log('Cataloging the incremental point');
    const catalogDb = openCatalog(join(scratch, 'catalog.sqlite'));
    const forFile = await openCounting(repoDir, passphrase);
    await catalogPoint({
      catalog: new FileCatalog(catalogDb),
      repository: forFile.repository,
      repositoryName: 'bench',
      manifest: await forFile.repository.getPoint(pointId),
    });
    await forFile.repository.close();
    const fromCatalog = await openCounting(repoDir, passphrase);
    const oneFile = await measureInProcess(() =>
      restoreOneFileFromCatalog(
        fromCatalog.repository,
        new FileCatalog(catalogDb),
        pointId,
        `/vda${sample.inImage}`,
      ),
    );
    const fileRepoBytes = fromCatalog.backend.bytesRead;
    await fromCatalog.repository.close();
    catalogDb.close();
    const expectedSha = await sha256Of(sample.source);

    const forDisk = await openCounting(repoDir, passphrase);
    const diskOut = join(scratch, 'restored-vda.raw');
    const hkRestore = await measureInProcess(() =>
      restoreDiskFile(forDisk.repository, pointId, 'vda', diskOut),
    );
    await forDisk.repository.close();
    await rm(diskOut, { force: true });
    const resticRestore = await peers.resticRestore(join(scratch, 'restic-restore'));
    await rm(join(scratch, 'restic-restore'), { recursive: true, force: true });
    const borgExtract = await peers.borgExtract(join(scratch, 'borg-extract'));
    await rm(join(scratch, 'borg-extract'), { recursive: true, force: true });

    log('CPU floor of a full backup (each kernel alone, one thread)');
    const cpuFloor = await measureCpuFloor(image.path, {
      level: repository.config.compression.level,
    });
    log(`  ${describeCpuFloor(cpuFloor)}`);

    log('File catalog with 1M files × 5 points (listing and search)');
    const catalogBench = runCatalogBench({ log: (line) => log(`  ${line}`) });

    const results: BenchResults = {
      when: new Date().toISOString(),
      cores: availableParallelism(),
      accel: lab.accel ?? 'tcg',
      disk: { sizeBytes: 2048 * MiB, realDataBytes: image.dataBytes, imageBytes, changedBytes },
      full: {
        hyperkeep: {
          wallMs: full.wallMs,
          lagP50Ms: full.lagP50Ms,
          lagP99Ms: full.lagP99Ms,
          lagMaxMs: full.lagMaxMs,
          peakRssBytes: full.peakRssBytes,
          readBytes: full.value.result.disks.reduce((n, d) => n + d.readBytes, 0),
          repositoryBytes: hkFullBytes,
          timings: full.value.timings,
        },
        virtnbdbackup: { ...peer(vnbFull), outputBytes: vnbFullBytes },
        restic: {
          ...peer(restic),
          repositoryBytes: await duBytes(join(scratch, 'restic')),
        },
        borg: { ...peer(borg), repositoryBytes: await duBytes(join(scratch, 'borg')) },
      },
      incremental: {
        hyperkeep: {
          wallMs: inc.wallMs,
          lagP50Ms: inc.lagP50Ms,
          lagP99Ms: inc.lagP99Ms,
          lagMaxMs: inc.lagMaxMs,
          peakRssBytes: inc.peakRssBytes,
          readBytes: inc.value.result.disks.reduce((n, d) => n + d.readBytes, 0),
          changeTracking: inc.value.result.changeTracking,
          timings: inc.value.timings,
        },
        virtnbdbackup: { wallMs: vnbInc.wallMs, peakRssBytes: vnbInc.peakRssBytes },
      },
      offlineIncremental: {
        hyperkeep: {
          wallMs: offline.wallMs,
          readBytes: offline.value.result.disks.reduce((n, d) => n + d.readBytes, 0),
          changeTracking: offline.value.result.changeTracking,
        },
        virtnbdbackup: { wallMs: vnbOffline.wallMs, peakRssBytes: vnbOffline.peakRssBytes },
      },
      singleFile: {
        path: sample.inImage,
        sizeBytes: oneFile.value.sizeBytes,
        matchesOriginal: oneFile.value.sha256 === expectedSha,
        wallMs: oneFile.wallMs,
        diskBytesRead: oneFile.value.diskBytesRead,
        repositoryBytesRead: fileRepoBytes,
      },
      restore: {
        hyperkeep: {
          wallMs: hkRestore.wallMs,
          writtenBytes: hkRestore.value.writtenBytes,
          repositoryBytesRead: forDisk.backend.bytesRead,
          peakRssBytes: hkRestore.peakRssBytes,
        },
        restic: { wallMs: resticRestore.wallMs, peakRssBytes: resticRestore.peakRssBytes },
        borg: { wallMs: borgExtract.wallMs, peakRssBytes: borgExtract.peakRssBytes },
      },
      cataloging: { ...cataloging, fullBackupMs: full.wallMs },
      incrementalCataloging: { ...incCataloging, incrementalBackupMs: inc.wallMs },
      catalog: catalogBench,
      cpuFloor,
      dataPathCpu,
      totalMs: performance.now() - began,
    };
    process.stdout.write(`\n${printReport(results)}\n`);
    const json = `${JSON.stringify(results, null, 2)}\n`;
    const file = join(BENCH_DIR, `results-${results.when.replace(/[:.]/g, '-')}.json`);
    await writeFile(file, json);
    await writeFile(join(BENCH_DIR, 'latest.json'), json);
    log(`Wrote ${file}`);
  } finally {
    await connector.close();
    await vm.remove();
    await rm(scratch, { recursive: true, force: true });
    if (!labWasRunning) await stopLab(labDir);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

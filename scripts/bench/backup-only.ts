/**
 * `npx tsx scripts/bench/backup-only.ts`: only Hyperkeep's full and incremental backup of the
 * benchmark VM, with the same breakdown as `npm run bench` — for working on the backup path
 * without waiting for the peers. Uses the same lab (HYPERKEEP_LAB_DIR) and cached image.
 * `--catalog` adds the cataloging phase to the full backup, from the export as the job does.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLibvirtConnector } from '../../src-main/engine/connectors/libvirt/libvirt-connector';
import { startLab } from '../../test/harness/lab';
import { changeDisk, ensurePristineImage, startBenchVm } from './bench-disk';
import { catalogOnce, threadCpu } from './catalog-overhead';
import { backupOnce, initRepository } from './hyperkeep-steps';
import { measureInProcess, qemuCpuSeconds } from './measure';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BENCH_DIR = join(ROOT, '.bench');

async function minorFaults(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

async function main(): Promise<void> {
  const labDir = resolve(process.env.HYPERKEEP_LAB_DIR ?? '/var/tmp/hk-lab-bench');
  const scratch = join(BENCH_DIR, 'backup-only');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const image = await ensurePristineImage(join(BENCH_DIR, 'cache'), console.log);
  const lab = await startLab({ dir: labDir });
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  const vm = await startBenchVm(lab, image.path, join(labDir, 'bench-vm'));
  const connector = createLibvirtConnector({ type: 'libvirt', uri: host.uri });
  try {
    const repository = await initRepository(join(scratch, 'repo'), 'bench');
    let peak = process.memoryUsage();
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      if (m.rss > peak.rss) peak = m;
    }, 50);
    const faultsBefore = await minorFaults();
    const qemuBefore = await qemuCpuSeconds(vm.name);
    const before = await threadCpu();
    const t0full = performance.now();
    const fullStamp = (line: string): void =>
      console.log(`  +${(performance.now() - t0full).toFixed(0)} ms ${line}`);
    // --catalog: catalog the full point from the export, as the backup job does.
    const catalog = process.argv.includes('--catalog');
    const full = await measureInProcess(() =>
      backupOnce(
        connector,
        repository,
        vm.uuid,
        undefined,
        fullStamp,
        catalog
          ? async (point, disks) => {
              const m = await catalogOnce(repository, point, disks);
              console.log(
                `cataloged ${m.files} files in ${(m.wallMs / 1000).toFixed(1)} s, cpu ${(m.cpuMs / 1000).toFixed(2)} s, peak rss ${(m.peak.rss / 2 ** 20).toFixed(0)} MiB, rss before ${(m.rssBefore / 2 ** 20).toFixed(0)} after ${(m.rssAfter / 2 ** 20).toFixed(0)} MiB`,
              );
            }
          : undefined,
      ),
    );
    const after = await threadCpu();
    clearInterval(sampler);
    const mib = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MiB`;
    console.log(
      `cpu memory at peak: rss ${mib(peak.rss)}, main heap ${mib(peak.heapUsed)}/${mib(peak.heapTotal)}, external ${mib(peak.external)}, arrayBuffers ${mib(peak.arrayBuffers)}`,
    );
    for (const [name, sec] of Object.entries(after)) {
      const d = sec - (before[name] ?? 0);
      if (d > 0.05) console.log(`cpu ${name}: ${d.toFixed(2)} s`);
    }
    console.log(
      `cpu QEMU (the VM's process): ${((await qemuCpuSeconds(vm.name)) - qemuBefore).toFixed(2)} s`,
    );
    // Fresh memory costs a page fault per 4 KiB, and faults are dear under nested virtualization.
    console.log(`cpu minor page faults: ${(await minorFaults()) - faultsBefore}`);
    console.log('full', (full.wallMs / 1000).toFixed(1), 's', JSON.stringify(full, null, 1));
    await changeDisk(vm, join(labDir, 'bench-vm'), 0.01);
    const t0 = performance.now();
    const stamp = (line: string): void =>
      console.log(`  +${(performance.now() - t0).toFixed(0)} ms ${line}`);
    const inc = await measureInProcess(() =>
      backupOnce(connector, repository, vm.uuid, full.value.result.pointId, stamp),
    );
    console.log('incremental', (inc.wallMs / 1000).toFixed(1), 's', JSON.stringify(inc, null, 1));
    await repository.close();
  } finally {
    await vm.remove();
    connector.close?.();
  }
}

await main();

/**
 * The benchmark's VM: a 2 GiB qcow2 disk holding an ext4 file system filled by mkfs.ext4 -d with
 * real files from this machine (/usr/share, then libraries from /usr/lib/x86_64-linux-gnu until
 * the budget is reached), defined and started on a lab host like the lab's own VMs.
 */
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_VMS, domainXml, type LabVmSpec } from '../../test/harness/domains';
import { writeHaltBootSector } from '../../test/harness/halt-boot-sector';
import { pathExists, run, virsh } from '../../test/harness/exec';
import { ensureLabAccount, giveToAccount } from '../../test/harness/lab-account';
import type { LabInfo } from '../../test/harness/lab-info';

const MiB = 1024 * 1024;
export const DISK_BYTES = 2048 * MiB;
/** Real data put into the file system: ~1.5 GiB of the 2 GiB disk. */
const DATA_BUDGET_BYTES = 1500 * MiB;
/** Trees copied into the image, in order, until the budget is spent. */
const SOURCE_TREES = ['/usr/share', '/usr/lib/x86_64-linux-gnu'];
export const BENCH_VM = 'hk-bench-01';

/** Disk usage (1 KiB units from du -sk) of every entry directly under `dir`. */
async function entrySizes(dir: string): Promise<{ path: string; bytes: number }[]> {
  const names = await readdir(dir);
  if (names.length === 0) return [];
  const { stdout } = await run('du', ['-sk', '--', ...names.map((n) => join(dir, n))], {
    timeoutMs: 120_000,
  });
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [kib, path] = line.split('\t');
      return { path: path ?? '', bytes: Number(kib) * 1024 };
    })
    .filter((e) => e.path !== '');
}

/** Builds the pristine image once (~1 minute); later runs reuse it from .bench/cache. */
export async function ensurePristineImage(
  cacheDir: string,
  log: (line: string) => void,
): Promise<{ path: string; dataBytes: number }> {
  const image = join(cacheDir, 'bench-disk.qcow2');
  const sizeFile = join(cacheDir, 'bench-disk.bytes');
  if ((await pathExists(image)) && (await pathExists(sizeFile))) {
    const { stdout } = await run('cat', [sizeFile]);
    return { path: image, dataBytes: Number(stdout.trim()) };
  }
  await mkdir(cacheDir, { recursive: true });
  const staging = join(cacheDir, 'staging');
  const raw = join(cacheDir, 'bench-disk.raw');
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  let total = 0;
  for (const tree of SOURCE_TREES) {
    const target = join(staging, tree.replaceAll('/', '_').slice(1));
    await mkdir(target);
    const chosen: string[] = [];
    for (const entry of await entrySizes(tree)) {
      if (total + entry.bytes > DATA_BUDGET_BYTES) continue;
      total += entry.bytes;
      chosen.push(entry.path);
    }
    if (chosen.length === 0) continue;
    // Copies, not hard links: mkfs.ext4 -d looks up every file with more than one link in a
    // list of the links seen so far (linear search), which takes tens of minutes for 100k files.
    await run('cp', ['-a', '-t', target, '--', ...chosen], { timeoutMs: 600_000 });
  }
  log(`Building the 2 GiB ext4 image from ${(total / MiB).toFixed(0)} MiB of real files`);
  await run('truncate', ['-s', String(DISK_BYTES), raw]);
  // mkfs.ext4 -d runs single-threaded at ~25 MB/s here when the machine is idle; far slower when
  // it is shared, hence the generous timeout (the image is then cached for every later run).
  const extended = 'lazy_itable_init=1,lazy_journal_init=1,nodiscard';
  await run('mkfs.ext4', ['-q', '-F', '-L', 'benchdata', '-E', extended, '-d', staging, raw], {
    timeoutMs: 2_400_000,
  });
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, image], {
    timeoutMs: 300_000,
  });
  await rm(raw, { force: true });
  await rm(staging, { recursive: true, force: true });
  await run('sh', ['-c', 'echo "$1" > "$2"', 'sh', String(total), sizeFile]);
  return { path: image, dataBytes: total };
}

export interface BenchVm {
  name: string;
  uuid: string;
  uri: string;
  disk: string;
  remove(): Promise<void>;
}

/**
 * Copies the pristine image next to the lab's disks, hands it to the lab account that runs QEMU
 * and defines + starts the VM with the lab's own domain XML (same devices as lab-web-01).
 */
export async function startBenchVm(lab: LabInfo, pristine: string, dir: string): Promise<BenchVm> {
  const host = lab.hosts.find((h) => h.name === 'lab-host-1');
  if (!host) throw new Error('The lab has no lab-host-1');
  await mkdir(dir, { recursive: true });
  const disk = join(dir, `${BENCH_VM}-vda.qcow2`);
  await virsh(host.uri, 'destroy', BENCH_VM).catch(() => undefined);
  await virsh(host.uri, 'undefine', BENCH_VM, '--checkpoints-metadata').catch(() => undefined);
  await copyFile(pristine, disk);
  // An OS-less VM that halts instead of looping in the firmware leaves the CPU to the tools.
  await writeHaltBootSector(disk, 'qcow2', dir);
  const account = await ensureLabAccount();
  await giveToAccount(account, dir);
  // The lab's web VM as the template: only the name and the disk change.
  const template = LAB_VMS.find((v) => v.name === 'lab-web-01')!;
  const spec: LabVmSpec = {
    ...template,
    name: BENCH_VM,
    title: 'Benchmark VM',
    description: '2 GiB ext4 disk of real files for npm run bench',
    tags: ['bench'],
  };
  const xmlPath = join(dir, `${BENCH_VM}.xml`);
  const xml = domainXml(spec, { vda: disk }, lab.accel === 'kvm' ? 'kvm' : 'qemu');
  await run('sh', ['-c', 'cat > "$1"', 'sh', xmlPath], { input: xml });
  await virsh(host.uri, 'define', xmlPath);
  await virsh(host.uri, 'start', BENCH_VM);
  const uuid = (await virsh(host.uri, 'domuuid', BENCH_VM)).trim();
  await waitUntilQuiet(host.uri, [BENCH_VM, ...LAB_VMS.map((v) => v.name)]);
  return {
    name: BENCH_VM,
    uuid,
    uri: host.uri,
    disk,
    remove: async () => {
      await virsh(host.uri, 'destroy', BENCH_VM).catch(() => undefined);
      await virsh(host.uri, 'undefine', BENCH_VM, '--checkpoints-metadata').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** CPU nanoseconds each domain of `uri` has used so far (virsh domstats), by name. */
async function domainCpuNs(uri: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const stats = await virsh(uri, 'domstats', '--cpu-total');
  let name = '';
  for (const line of stats.split('\n')) {
    const domain = /^Domain: '(.+)'/.exec(line.trim());
    if (domain) name = domain[1]!;
    const cpu = /^cpu\.time=(\d+)/.exec(line.trim());
    if (cpu && name) out.set(name, Number(cpu[1]));
  }
  return out;
}

/**
 * Waits until the VMs of lab-host-1 have finished booting: a VM just started spends its first
 * seconds at a full core in the firmware (measured: ~4 s), and whichever tool runs first would
 * otherwise share the CPU with that while the others run on a quiet machine.
 */
async function waitUntilQuiet(uri: string, names: string[]): Promise<void> {
  const deadline = performance.now() + 60_000;
  let before = await domainCpuNs(uri);
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await domainCpuNs(uri);
    let busiest = 0;
    for (const [name, ns] of now)
      if (names.includes(name)) busiest = Math.max(busiest, ns - (before.get(name) ?? ns));
    before = now;
    if (busiest < 50e6) return; // under 5 % of a core in the last second
  }
}

/**
 * Changes `fraction` of the disk while the VM runs: random 1 MiB blocks spread evenly, written by
 * QEMU itself through HMP qemu-io (the image is locked by the running QEMU, so qemu-io from
 * outside cannot open it; the monitor writes through QEMU's block layer, which is also what sets
 * the dirty bitmaps an incremental backup depends on). Returns the bytes written.
 */
/**
 * Where `fraction` of the disk is rewritten, 1 MiB at a time: mid-stride (never offset 0, where
 * the ext4 superblock is) plus an odd 4 KiB shift, so blocks do not line up with chunk boundaries.
 */
function changeOffsets(fraction: number): number[] {
  const blocks = Math.max(1, Math.round((DISK_BYTES * fraction) / MiB));
  const stride = Math.floor(DISK_BYTES / blocks / MiB) * MiB;
  return Array.from(
    { length: blocks },
    (_, i) => i * stride + stride / 2 + ((i * 7919) % 64) * 4096,
  );
}

export async function changeDisk(vm: BenchVm, dir: string, fraction: number): Promise<number> {
  const offsets = changeOffsets(fraction);
  const account = await ensureLabAccount();
  for (const [i, offset] of offsets.entries()) {
    const source = join(dir, `change-${i}.bin`);
    await run('dd', ['if=/dev/urandom', `of=${source}`, 'bs=1M', 'count=1', 'status=none']);
    await giveToAccount(account, source);
    const out = await virsh(
      vm.uri,
      'qemu-monitor-command',
      '--hmp',
      vm.name,
      `qemu-io -d virtio-disk0/virtio-backend "write -s ${source} ${offset} ${MiB}"`,
    );
    // HMP reports qemu-io failures as ordinary output.
    if (/error|not found|failed|invalid/i.test(out)) throw new Error(`qemu-io failed: ${out}`);
    await rm(source, { force: true });
  }
  return offsets.length * MiB;
}

/**
 * The same change made to the image of the VM while it is off, with qemu-io on the file: as
 * any QEMU that opens the image, it records the writes in the image's enabled dirty bitmaps.
 */
export async function changeImageOffline(
  vm: BenchVm,
  dir: string,
  fraction: number,
): Promise<number> {
  const offsets = changeOffsets(fraction);
  const commands: string[] = [];
  for (const [i, offset] of offsets.entries()) {
    const source = join(dir, `change-${i}.bin`);
    await run('dd', ['if=/dev/urandom', `of=${source}`, 'bs=1M', 'count=1', 'status=none']);
    commands.push('-c', `write -s ${source} ${offset} ${MiB}`);
  }
  await run('qemu-io', ['-f', 'qcow2', ...commands, vm.disk]);
  for (const i of offsets.keys()) await rm(join(dir, `change-${i}.bin`), { force: true });
  return offsets.length * MiB;
}

export async function fileBytes(path: string): Promise<number> {
  return (await stat(path)).size;
}

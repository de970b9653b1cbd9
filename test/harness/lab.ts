import { chmod, copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HyperkeepError } from '../../shared/errors';
import { isAlive, pathExists, sleep, virsh } from './exec';
import {
  assertAccountCanWrite,
  ensureLabAccount,
  giveToAccount,
  type LabAccount,
} from './lab-account';
import { LAB_HOSTS, LAB_VMS, domainXml, type LabHostName } from './domains';
import { ensureImages, recipeKey } from './images';
import { ensureLabPool } from './pools';
import {
  daemonPid,
  hostLayout,
  prepareHost,
  probeAccel,
  seedProbeCache,
  startDaemon,
  stopDaemonOnly,
  stopHost,
  tcpUri,
  unixUri,
} from './libvirtd';
import type { LabHost, LabInfo, LabVm } from './lab-info';

export { virsh } from './exec';
export type { LabInfo } from './lab-info';

/**
 * The lab: two private libvirt hosts with four small VMs whose disks carry real partition tables
 * and file systems. `make lab`, `make demo` and the integration/e2e suites all start it here.
 */

const MiB = 1024 * 1024;
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Explicit dir, else $HYPERKEEP_LAB_DIR, else <repo>/.lab — unless the checkout sits where the
 * lab user cannot reach it (a parent without o+x, e.g. /root) or so deep that the hosts' socket
 * paths would pass the unix limit; then a short per-checkout folder under /var/tmp.
 */
export function resolveLabDir(dir?: string): string {
  const explicit = dir ?? process.env.HYPERKEEP_LAB_DIR;
  if (explicit) return resolve(explicit);
  const inRepo = join(REPO_ROOT, '.lab');
  const longestSocket = join(inRepo, 'lab-host-1', 'run', 'libvirt', 'libvirt-sock');
  if (longestSocket.length <= 100 && ancestorsTraversable(REPO_ROOT)) return inRepo;
  return join(
    '/var/tmp',
    `hyperkeep-lab-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 10)}`,
  );
}

function ancestorsTraversable(path: string): boolean {
  for (let current = resolve(path); ; current = dirname(current)) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (dirname(current) === current) return true;
  }
}

export interface LabStatus {
  dir: string;
  /** running: every host answers and every VM exists; degraded: anything in between. */
  state: 'running' | 'stopped' | 'degraded';
  hosts: { name: string; uri: string; pid: number | null; answering: boolean }[];
  /** state as virsh domstate prints it ("running", "shut off"…), or "missing" / "unknown". */
  vms: { name: string; host: string; state: string }[];
  info: LabInfo | null;
}

async function readLabJson(dir: string): Promise<LabInfo | null> {
  try {
    return JSON.parse(await readFile(join(dir, 'lab.json'), 'utf8')) as LabInfo;
  } catch {
    return null;
  }
}

/**
 * Serialises lab starts and stops across processes (`make lab` next to a test run, or the
 * integration and e2e projects of one vitest run) with a lock directory naming its owner.
 */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'owner'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(await readFile(join(lock, 'owner'), 'utf8').catch(() => '0'));
      const lockTime = (await stat(lock).catch(() => null))?.mtimeMs ?? Date.now();
      const age = Date.now() - lockTime;
      const stale = owner > 0 ? !(await isAlive(owner)) : age > 30_000;
      if (stale) await rm(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) {
        throw new HyperkeepError('TIMEOUT', `The lab in ${dir} stays locked by process ${owner}`);
      } else await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function inspect(dir: string): Promise<LabStatus> {
  const info = await readLabJson(dir);
  const hosts: LabStatus['hosts'] = [];
  for (const name of LAB_HOSTS) {
    const layout = hostLayout(dir, name);
    const pid = await daemonPid(layout);
    const uri = unixUri(layout);
    const answering =
      pid !== null && (await virsh(uri, 'list', '--name').catch(() => null)) !== null;
    hosts.push({ name, uri, pid, answering });
  }
  const vms: LabStatus['vms'] = [];
  for (const vm of LAB_VMS) {
    const host = hosts.find((h) => h.name === vm.host)!;
    let state = 'unknown';
    if (host.answering) {
      const said = await virsh(host.uri, 'domstate', vm.name).catch(() => null);
      state = said === null ? 'missing' : said.trim();
    }
    vms.push({ name: vm.name, host: vm.host, state });
  }
  const anyDaemon = hosts.some((h) => h.pid !== null);
  const healthy =
    info !== null && hosts.every((h) => h.answering) && vms.every((v) => v.state !== 'missing');
  const state = healthy ? 'running' : info === null && !anyDaemon ? 'stopped' : 'degraded';
  return { dir, state, hosts, vms, info };
}

/** What runs in the lab dir right now, without changing anything. */
export async function labStatus(dir?: string): Promise<LabStatus> {
  return inspect(resolveLabDir(dir));
}

async function startHosts(dir: string, account: LabAccount): Promise<'kvm' | 'tcg'> {
  const [first, second] = LAB_HOSTS.map((name) => hostLayout(dir, name)) as [
    ReturnType<typeof hostLayout>,
    ReturnType<typeof hostLayout>,
  ];
  // One host also listens on loopback TCP so the connector's TCP transport has a target.
  await prepareHost(first, account, await freeLoopbackPort());
  await assertAccountCanWrite(account, first.root);
  await prepareHost(second, account, undefined);
  await startDaemon(first, account);
  const accel = await probeAccel(unixUri(first));
  await seedProbeCache(first, second, account);
  await startDaemon(second, account);
  await probeAccel(unixUri(second));
  return accel;
}

async function coldStart(dir: string, account: LabAccount): Promise<LabInfo> {
  await stopUnlocked(dir);
  // Images build while the first daemon probes QEMU: the two slow steps overlap.
  const [images, accel] = await Promise.allSettled([
    ensureImages(join(dir, 'images')),
    startHosts(dir, account),
  ]);
  if (images.status === 'rejected' || accel.status === 'rejected') {
    await stopUnlocked(dir);
    throw images.status === 'rejected' ? images.reason : (accel as PromiseRejectedResult).reason;
  }
  const disksDir = join(dir, 'disks');
  const domainsDir = join(dir, 'domains');
  await mkdir(disksDir, { recursive: true });
  await mkdir(domainsDir, { recursive: true });
  const vms: LabVm[] = await Promise.all(
    LAB_VMS.map(async (spec) => {
      const disks = await Promise.all(
        spec.disks.map(async (d) => {
          const built = images.value[d.image];
          const path = join(disksDir, `${spec.name}-${d.target}.qcow2`);
          await copyFile(built.path, path);
          return {
            target: d.target,
            path,
            format: 'qcow2' as const,
            capacityBytes: built.capacityBytes,
            partitionTable: built.partitionTable,
            filesystems: built.partitions.map((p) => p.filesystem),
            partitions: built.partitions,
          };
        }),
      );
      return {
        name: spec.name,
        uuid: '',
        host: spec.host,
        running: spec.running,
        vcpus: spec.vcpus,
        memoryBytes: spec.memoryMiB * MiB,
        disks,
        title: spec.title,
        description: spec.description,
        tags: spec.tags,
      };
    }),
  );
  await giveToAccount(account, disksDir);
  const hosts: LabHost[] = [];
  for (const name of LAB_HOSTS) {
    const layout = hostLayout(dir, name);
    const port = await readFile(layout.tcpPortFile, 'utf8').catch(() => '');
    hosts.push({
      name,
      uri: unixUri(layout),
      socketPath: layout.socketPath,
      ...(port ? { tcpUri: tcpUri(Number(port)) } : {}),
      pidFile: layout.pidFile,
    });
  }
  await Promise.all(
    LAB_VMS.map(async (spec, i) => {
      const vm = vms[i]!;
      const uri = hosts.find((h) => h.name === spec.host)!.uri;
      const xmlFile = join(domainsDir, `${spec.name}.xml`);
      const paths = Object.fromEntries(vm.disks.map((d) => [d.target, d.path]));
      await writeFile(xmlFile, domainXml(spec, paths, accel.value === 'kvm' ? 'kvm' : 'qemu'));
      await virsh(uri, 'define', xmlFile);
      if (spec.running) await virsh(uri, 'start', spec.name);
      vm.uuid = (await virsh(uri, 'domuuid', spec.name)).trim();
    }),
  );
  for (const host of hosts) await ensureLabPool(host.uri, dir, host.name, account);
  const info: LabInfo = {
    dir,
    hosts,
    vms,
    accel: accel.value,
    user: account.name,
    startedAt: new Date().toISOString(),
    recipe: recipeKey(),
  };
  await writeFile(join(dir, 'lab.json'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644 });
  return info;
}

/** Starts the lab, or returns the running one when it is healthy. */
export async function startLab(opts: { dir?: string } = {}): Promise<LabInfo> {
  const dir = resolveLabDir(opts.dir);
  const account = await ensureLabAccount();
  await mkdir(dir, { recursive: true });
  // The lab account must be able to walk into the lab dir (it does not need to write there).
  if (account.switchUser) await chmod(dir, 0o755);
  return withLock(dir, async () => {
    const status = await inspect(dir);
    const current = status.info?.recipe === recipeKey();
    if (status.state !== 'running' || !status.info || !current) return coldStart(dir, account);
    // A previous test run may have powered VMs off: bring back the lab's documented state.
    for (const vm of status.info.vms) {
      const host = status.info.hosts.find((h) => h.name === vm.host)!;
      const now = status.vms.find((v) => v.name === vm.name)?.state;
      if (vm.running && now === 'paused') await virsh(host.uri, 'resume', vm.name);
      else if (vm.running && now !== 'running') await virsh(host.uri, 'start', vm.name);
    }
    for (const h of status.info.hosts) await ensureLabPool(h.uri, dir, h.name, account);
    return status.info;
  });
}

async function stopUnlocked(dir: string): Promise<void> {
  await Promise.all(
    LAB_HOSTS.map(async (name) => {
      const layout = hostLayout(dir, name);
      await stopHost(layout);
      // Runtime state goes; the probe cache (layout.cache) stays for a fast next start.
      for (const sub of [layout.home, layout.config, layout.run, layout.data, layout.tcpPortFile]) {
        await rm(sub, { recursive: true, force: true });
      }
    }),
  );
  for (const sub of ['disks', 'domains', 'pools', 'lab.json']) {
    await rm(join(dir, sub), { recursive: true, force: true });
  }
}

/** Powers off every lab VM, stops both daemons and removes the lab's runtime state. */
export async function stopLab(dir?: string): Promise<void> {
  const resolved = resolveLabDir(dir);
  if (!(await pathExists(resolved))) return;
  await withLock(resolved, () => stopUnlocked(resolved));
}

/**
 * Stops and starts one host's libvirtd, as an administrator restarting the service would: its
 * VMs keep running, and clients must reconnect.
 */
export async function restartHost(lab: LabInfo, hostName: string): Promise<void> {
  if (!LAB_HOSTS.includes(hostName as LabHostName)) {
    throw new HyperkeepError(
      'NOT_FOUND',
      `No lab host named ${hostName}; hosts: ${LAB_HOSTS.join(', ')}`,
    );
  }
  const layout = hostLayout(lab.dir, hostName as LabHostName);
  const account = await ensureLabAccount();
  await withLock(lab.dir, async () => {
    await stopDaemonOnly(layout);
    await startDaemon(layout, account);
  });
}

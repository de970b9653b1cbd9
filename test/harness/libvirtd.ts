import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HyperkeepError } from '../../shared/errors';
import { commandOf, isAlive, readPidFile, run, sleep, stopProcess, virsh } from './exec';
import { asAccount, giveToAccount, type LabAccount } from './lab-account';
import type { LabHostName } from './domains';

/**
 * One lab host = one libvirtd in *session* mode, run as the lab account with every XDG directory
 * under <labDir>/<host>/. Session mode is what makes two fully private hosts possible: a
 * system-mode libvirtd has its state paths compiled in (/run/libvirt, /var/lib/libvirt), so two
 * of them would clash with each other and with the machine's own libvirtd.
 */
export interface HostLayout {
  name: LabHostName;
  root: string;
  home: string;
  config: string;
  run: string;
  /** Kept across lab restarts: it holds QEMU's capability probe (~8 s to redo). */
  cache: string;
  data: string;
  confFile: string;
  pidFile: string;
  logFile: string;
  socketPath: string;
  /** Present when the host listens on loopback TCP; holds the port. */
  tcpPortFile: string;
}

export function hostLayout(labDir: string, name: LabHostName): HostLayout {
  const root = join(labDir, name);
  const config = join(root, 'config');
  const runDir = join(root, 'run');
  return {
    name,
    root,
    home: join(root, 'home'),
    config,
    run: runDir,
    cache: join(root, 'cache'),
    data: join(root, 'data'),
    confFile: join(config, 'libvirt', 'libvirtd.conf'),
    pidFile: join(root, 'libvirtd.pid'),
    logFile: join(root, 'libvirtd.log'),
    socketPath: join(runDir, 'libvirt', 'libvirt-sock'),
    tcpPortFile: join(root, 'tcp-port'),
  };
}

export function unixUri(layout: HostLayout): string {
  return `qemu+unix:///session?socket=${layout.socketPath}`;
}

export function tcpUri(port: number): string {
  return `qemu+tcp://127.0.0.1:${port}/session`;
}

/**
 * The daemon's XDG_CONFIG_HOME: a short link to the host's config directory. libvirt puts every
 * domain's unix sockets under it, and the longest (a guest agent channel,
 * `libvirt/qemu/channel/target/domain-N-<20 chars of name>/org.qemu.guest_agent.0`) would pass
 * the 107 bytes a socket path may have under most lab directories: such a VM could not start.
 * On a real host the same path lies under /var/lib/libvirt and fits.
 */
export function configLink(layout: HostLayout): string {
  return `/tmp/hkl-${createHash('sha256').update(layout.config).digest('hex').slice(0, 8)}`;
}

async function linkConfig(layout: HostLayout): Promise<string> {
  const link = configLink(layout);
  const target = await readlink(link).catch(() => null);
  if (target !== layout.config) {
    await rm(link, { force: true });
    await symlink(layout.config, link);
  }
  return link;
}

/** Wipes the host's state (not its probe cache) and writes its configuration. */
export async function prepareHost(
  layout: HostLayout,
  account: LabAccount,
  tcpPort: number | undefined,
): Promise<void> {
  for (const dir of [layout.home, layout.config, layout.run, layout.data]) {
    await rm(dir, { recursive: true, force: true });
  }
  await rm(layout.tcpPortFile, { force: true });
  await rm(layout.logFile, { force: true });
  for (const dir of [
    layout.home,
    join(layout.config, 'libvirt'),
    layout.run,
    layout.cache,
    layout.data,
  ]) {
    await mkdir(dir, { recursive: true, mode: 0o755 });
  }
  const tcp =
    tcpPort === undefined
      ? ['listen_tcp = 0']
      : [
          'listen_tcp = 1',
          'listen_addr = "127.0.0.1"',
          `tcp_port = "${tcpPort}"`,
          'auth_tcp = "none"',
        ];
  await writeFile(
    layout.confFile,
    [
      '# Written by the Hyperkeep lab (test/harness/libvirtd.ts); rewritten at every cold start.',
      'listen_tls = 0',
      ...tcp,
      'auth_unix_rw = "none"',
      // Errors only: the daemon logs harmless complaints about D-Bus and dnsmasq at startup.
      `log_outputs = "3:file:${layout.logFile}"`,
      '',
    ].join('\n'),
  );
  // QEMU's console output goes straight to a file, so no virtlogd daemon is spawned behind our back.
  await writeFile(join(layout.config, 'libvirt', 'qemu.conf'), 'stdio_handler = "file"\n');
  if (tcpPort !== undefined) await writeFile(layout.tcpPortFile, `${tcpPort}\n`);
  await giveToAccount(account, layout.root);
}

/** The daemon's pid when it runs; checks the program too, since pids get recycled. */
export async function daemonPid(layout: HostLayout): Promise<number | null> {
  const pid = await readPidFile(layout.pidFile);
  if (pid === null || !(await isAlive(pid))) return null;
  return (await commandOf(pid)).includes('libvirtd') ? pid : null;
}

async function logTail(layout: HostLayout): Promise<string> {
  const text = await readFile(layout.logFile, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-5).join('\n');
}

/** Starts the host's libvirtd in the background and waits until its socket answers. */
export async function startDaemon(layout: HostLayout, account: LabAccount): Promise<number> {
  const tcp = (await readFile(layout.tcpPortFile, 'utf8').catch(() => '')) !== '';
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LC_ALL: 'C',
    HOME: layout.home,
    XDG_CONFIG_HOME: await linkConfig(layout),
    XDG_RUNTIME_DIR: layout.run,
    XDG_CACHE_HOME: layout.cache,
    XDG_DATA_HOME: layout.data,
  };
  const args = ['-d', ...(tcp ? ['--listen'] : []), '-f', layout.confFile, '-p', layout.pidFile];
  const [cmd, argv] = asAccount(account, 'libvirtd', args);
  try {
    // `-d` returns once the daemon finished initialising (or failed to).
    await run(cmd, argv, { env, untilExit: true, timeoutMs: 60_000 });
  } catch (e) {
    const log = await logTail(layout);
    throw new HyperkeepError(
      'CONNECT_FAILED',
      `libvirtd for ${layout.name} did not start: ${(e as Error).message}${log ? `\n${log}` : ''}`,
    );
  }
  let pid: number | null = null;
  for (let i = 0; i < 100 && pid === null; i++) {
    pid = await daemonPid(layout);
    if (pid === null) await sleep(50);
  }
  if (pid === null) {
    throw new HyperkeepError(
      'CONNECT_FAILED',
      `libvirtd for ${layout.name} exited right after start:\n${await logTail(layout)}`,
    );
  }
  await waitAnswering(unixUri(layout), 30_000);
  return pid;
}

/** Polls until `virsh list` works through the URI. */
export async function waitAnswering(uri: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await run('virsh', ['-c', uri, 'list', '--all', '--name'], { timeoutMs: 10_000 });
      return;
    } catch (e) {
      if (Date.now() > deadline) {
        throw new HyperkeepError(
          'CONNECT_FAILED',
          `libvirt at ${uri} does not answer: ${(e as Error).message}`,
        );
      }
      await sleep(100);
    }
  }
}

/**
 * Makes the daemon probe QEMU now (the first capabilities query takes ~8 s, cached afterwards)
 * and tells whether its QEMU can use KVM.
 */
export async function probeAccel(uri: string): Promise<'kvm' | 'tcg'> {
  const { stdout } = await run('virsh', ['-c', uri, 'capabilities'], { timeoutMs: 180_000 });
  return stdout.includes("<domain type='kvm'") ? 'kvm' : 'tcg';
}

/** Lets a second host reuse the first one's QEMU probe instead of paying for its own. */
export async function seedProbeCache(from: HostLayout, to: HostLayout, account: LabAccount) {
  const sub = join('libvirt', 'qemu', 'cache', 'capabilities');
  const have = await readdir(join(to.cache, sub)).catch(() => []);
  if (have.length > 0) return;
  await cp(join(from.cache, sub), join(to.cache, sub), { recursive: true }).catch(() => undefined);
  await giveToAccount(account, to.cache);
}

/** Pids of QEMU processes the host started, from the pid files libvirt keeps for them. */
async function qemuPids(layout: HostLayout): Promise<number[]> {
  const dir = join(layout.run, 'libvirt', 'qemu', 'run');
  const names = await readdir(dir).catch(() => [] as string[]);
  const pids: number[] = [];
  for (const name of names.filter((n) => n.endsWith('.pid') && n !== 'driver.pid')) {
    const pid = await readPidFile(join(dir, name));
    if (pid !== null && (await commandOf(pid)).includes('qemu-system')) pids.push(pid);
  }
  return pids;
}

/** Stops only the daemon: its running VMs keep running and are picked up again on restart. */
export async function stopDaemonOnly(layout: HostLayout): Promise<void> {
  const pid = await daemonPid(layout);
  if (pid !== null) await stopProcess(pid);
}

/** Powers off every VM of the host, stops its daemon and any QEMU the daemon lost track of. */
export async function stopHost(layout: HostLayout): Promise<void> {
  const pid = await daemonPid(layout);
  if (pid !== null) {
    const uri = unixUri(layout);
    const running = await virsh(uri, 'list', '--state-running', '--name').catch(() => '');
    // libvirt spends ~2 s on each destroy (mostly waiting), so power everything off at once.
    await Promise.all(
      running
        .split('\n')
        .filter(Boolean)
        .map((name) => virsh(uri, 'destroy', name).catch(() => undefined)),
    );
    await stopProcess(pid);
  }
  for (const qemu of await qemuPids(layout)) await stopProcess(qemu, 5_000);
}

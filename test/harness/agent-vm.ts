/**
 * A lab VM with a real QEMU guest agent inside, for restores "back into the VM": Debian's cloud
 * kernel booted directly (<os><kernel>/<initrd>) with an initramfs holding busybox-static, qemu-ga
 * with the shared libraries ldd names, and the virtio modules the cloud kernel builds as modules.
 * No disk, no OS install: the guest's root file system is the initramfs in RAM, which the agent
 * can write to. The initramfs is built once per change of its inputs into a cache under the temp
 * directory (like the vcsim build), readable by the lab account QEMU runs as.
 *
 * It runs under TCG, not KVM: on our hosts (KVM nested in a Firecracker VM) a 64-bit Linux guest
 * hangs under KVM before its first console line, bzImage and PVH entry alike, while the lab's
 * OS-less VMs never leave the BIOS. Under TCG guest-ping answers 6–25 s after `virsh start`,
 * depending on the machine's load.
 *
 * Packages: linux-image-cloud-amd64, busybox-static, qemu-guest-agent, lz4
 * (scripts/install-debian-packages.sh).
 */
import { createHash } from 'node:crypto';
import {
  chmod,
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HyperkeepError } from '../../shared/errors';
import { pathExists, run, virsh } from './exec';

const BUSYBOX = '/bin/busybox';
const QEMU_GA = '/usr/sbin/qemu-ga';
/** Load order: each module after the ones it depends on (modinfo -F depends). */
const MODULES = [
  'drivers/virtio/virtio_ring.ko',
  'drivers/virtio/virtio.ko',
  'drivers/virtio/virtio_pci_modern_dev.ko',
  'drivers/virtio/virtio_pci_legacy_dev.ko',
  'drivers/virtio/virtio_pci.ko',
  'drivers/char/virtio_console.ko',
];
export const AGENT_CHANNEL = 'org.qemu.guest_agent.0';

/**
 * PID 1 of the guest. devtmpfs creates /dev/vportNpM but not udev's by-name links, so the agent's
 * port is found by its name in sysfs. The agent runs in the background and PID 1 reaps orphans.
 */
const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /proc /sys /dev /tmp /run /var/run /root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in ${MODULES.map((m) => `/modules/${m.split('/').pop()!}`).join(' ')}; do insmod "$m"; done
echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
echo 'root:x:0:' > /etc/group
port=""
i=0
while [ -z "$port" ] && [ $i -lt 200 ]; do
  for n in /sys/class/virtio-ports/*/name; do
    [ -f "$n" ] && [ "$(cat "$n")" = "${AGENT_CHANNEL}" ] && port=/dev/$(basename "$(dirname "$n")")
  done
  [ -z "$port" ] && sleep 0.05
  i=$((i + 1))
done
if [ -n "$port" ]; then
  i=0
  while [ ! -e "$port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  qemu-ga -m virtio-serial -p "$port" -t /run -f /run/qemu-ga.pid &
  echo "hyperkeep-agent-vm: qemu-ga started on $port" > /dev/ttyS0
else
  echo "hyperkeep-agent-vm: no ${AGENT_CHANNEL} port, no agent" > /dev/ttyS0
fi
while true; do wait; sleep 1; done
`;

/**
 * The uncompressed ELF kernel inside a bzImage. QEMU boots it through its PVH entry point, which
 * skips the bzImage decompressor: under KVM nested in this machine's hypervisor the decompressor
 * hangs (RIP stuck in startup_32), and under TCG decompressing costs seconds. Debian builds the
 * cloud kernel with LZ4 (legacy frame); other compressions are looked for too.
 */
async function extractVmlinux(bzImage: string, out: string): Promise<void> {
  const data = await readFile(bzImage);
  const formats: [Buffer, string][] = [
    [Buffer.from([0x02, 0x21, 0x4c, 0x18]), 'lz4 -dc'],
    [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstd -dc'],
    [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xz -dc'],
    [Buffer.from([0x1f, 0x8b, 0x08]), 'gzip -dc'],
  ];
  for (const [magic, tool] of formats) {
    // The payload starts after the setup code; the first match of the magic past it is the one.
    for (let at = data.indexOf(magic); at >= 0; at = data.indexOf(magic, at + 1)) {
      // Decompressors stop at the payload's end and complain about the bytes after it: the ELF
      // header is the test of success.
      await run('sh', [
        '-c',
        `tail -c +${at + 1} "$1" | ${tool} > "$2" 2>/dev/null; true`,
        'sh',
        bzImage,
        out,
      ]);
      const head = await readFile(out).then((b) => b.subarray(0, 4));
      if (head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return;
    }
  }
  throw new HyperkeepError('INTERNAL', `Could not find the compressed kernel inside ${bzImage}`);
}

/**
 * Under TCG every console character and every probe costs: quiet, no crypto self-tests, no
 * i8042 probing, no delay-loop calibration, no Spectre mitigations (nothing else runs inside).
 */
const BOOT_ARGS = [
  'console=ttyS0',
  'quiet',
  'rdinit=/init',
  'panic=-1',
  'cryptomgr.notests',
  'i8042.noaux',
  'i8042.nokbd',
  'i8042.nopnp',
  'no_timer_check',
  'tsc=reliable',
  'lpj=1000000',
  'mitigations=off',
  'audit=0',
  'random.trust_cpu=on',
].join(' ');

export interface AgentVmImage {
  kernel: string;
  initrd: string;
}

async function kernelRelease(): Promise<string> {
  const releases = (await readdir('/lib/modules').catch(() => [])).filter((r) =>
    r.endsWith('-amd64'),
  );
  for (const release of releases.sort().reverse())
    if (await pathExists(`/boot/vmlinuz-${release}`)) return release;
  throw new HyperkeepError(
    'INTERNAL',
    'No Debian kernel in /boot with its modules: install linux-image-cloud-amd64 (scripts/install-debian-packages.sh).',
  );
}

/** The shared libraries a binary loads, with the dynamic loader, as ldd resolves them. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  const libs: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

async function inputsHash(release: string): Promise<string> {
  const hash = createHash('sha256').update(INIT_SCRIPT).update(release);
  for (const file of [BUSYBOX, QEMU_GA, `/boot/vmlinuz-${release}`]) {
    const s = await stat(file).catch(() => {
      throw new HyperkeepError(
        'INTERNAL',
        `${file} is missing: install busybox-static, qemu-guest-agent and linux-image-cloud-amd64.`,
      );
    });
    hash.update(`${file}:${s.size}:${s.mtimeMs}`);
  }
  return hash.digest('hex').slice(0, 16);
}

/** Builds (or finds cached) the kernel and initramfs of the agent VM. */
export async function buildAgentVmImage(
  cacheRoot = join(tmpdir(), 'hyperkeep-agent-vm'),
): Promise<AgentVmImage> {
  const release = await kernelRelease();
  const dir = join(cacheRoot, await inputsHash(release));
  const image = { kernel: join(dir, 'vmlinux'), initrd: join(dir, 'initrd.gz') };
  if ((await pathExists(image.kernel)) && (await pathExists(image.initrd))) return image;
  const partial = `${dir}.${process.pid}.tmp`;
  const root = join(partial, 'root');
  await rm(partial, { recursive: true, force: true });
  for (const d of ['bin', 'sbin', 'etc', 'modules', 'usr/sbin'])
    await mkdir(join(root, d), { recursive: true });
  await copyFile(BUSYBOX, join(root, 'bin/busybox'));
  await copyFile(QEMU_GA, join(root, 'usr/sbin/qemu-ga'));
  for (const lib of await sharedLibraries(QEMU_GA)) {
    await mkdir(join(root, dirname(lib)), { recursive: true });
    await copyFile(lib, join(root, lib));
  }
  for (const m of MODULES)
    await copyFile(
      join('/lib/modules', release, 'kernel', m),
      join(root, 'modules', m.split('/').pop()!),
    );
  await writeFile(join(root, 'init'), INIT_SCRIPT, { mode: 0o755 });
  await chmod(join(root, 'bin/busybox'), 0o755);
  await chmod(join(root, 'usr/sbin/qemu-ga'), 0o755);
  // busybox's cpio writes the newc format the kernel unpacks; no cpio package needed.
  await run('sh', [
    '-c',
    `cd "$1" && find . | ${BUSYBOX} cpio -o -H newc 2>/dev/null | gzip -1 > "$2"`,
    'sh',
    root,
    join(partial, 'initrd.gz'),
  ]);
  await extractVmlinux(`/boot/vmlinuz-${release}`, join(partial, 'vmlinux'));
  await rm(root, { recursive: true, force: true });
  // World-readable: QEMU runs as the lab account, not as the user who built the cache.
  await chmod(partial, 0o755);
  await chmod(join(partial, 'vmlinux'), 0o644);
  await chmod(join(partial, 'initrd.gz'), 0o644);
  await mkdir(cacheRoot, { recursive: true, mode: 0o755 });
  await chmod(cacheRoot, 0o755);
  await rename(partial, dir).catch(async (err: unknown) => {
    // Another process built the same inputs first: use theirs.
    await rm(partial, { recursive: true, force: true });
    if (!(await pathExists(image.initrd))) throw err;
  });
  return image;
}

export interface AgentVmOptions {
  /** Without the agent channel: a running VM in which no agent answers. */
  agent?: boolean;
  memoryMiB?: number;
  /**
   * The agent channel's socket on the host, where a test reaches it by itself; without one,
   * libvirt picks a path under the host's config dir (kept short by libvirtd.ts's link).
   */
  socketPath?: string;
  /** Where the guest's serial console is written (the boot messages, for diagnosis). */
  consoleLog?: string;
}

/**
 * Direct kernel boot under TCG (domain type qemu, see the top of this file), a virtio-serial
 * channel for the agent, a serial console, nothing else.
 */
export function agentVmXml(
  name: string,
  image: AgentVmImage,
  options: AgentVmOptions = {},
): string {
  const channel =
    options.agent === false
      ? ''
      : `    <channel type='unix'>
${options.socketPath ? `      <source mode='bind' path='${options.socketPath}'/>\n` : ''}      <target type='virtio' name='${AGENT_CHANNEL}'/>
    </channel>\n`;
  return `<domain type='qemu'>
  <name>${name}</name>
  <title>Guest agent lab VM</title>
  <memory unit='MiB'>${options.memoryMiB ?? 256}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${image.kernel}</kernel>
    <initrd>${image.initrd}</initrd>
    <cmdline>${BOOT_ARGS}</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='virtio-serial' index='0'/>
${channel}    ${options.consoleLog ? `<serial type='file'><source path='${options.consoleLog}'/></serial>` : "<serial type='pty'/>"}
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

export interface AgentVm {
  name: string;
  uuid: string;
  /** From `virsh start` until guest-ping answered (0 without an agent). */
  bootMs: number;
  /** A guest-agent command through virsh (the independent check of what the engine did). */
  agent(command: string, args?: Record<string, unknown>): Promise<unknown>;
  /** Runs a program in the guest and returns its standard output (exit status 0 required). */
  exec(path: string, args: string[]): Promise<string>;
  remove(): Promise<void>;
}

const BOOT_TIMEOUT_MS = 45_000;

/** Defines and starts the VM on a lab host; with the agent, waits until guest-ping answers. */
export async function startAgentVm(
  uri: string,
  name: string,
  options: AgentVmOptions = {},
): Promise<AgentVm> {
  const image = await buildAgentVmImage();
  const dir = join(tmpdir(), `hk-agent-vm-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const xmlFile = join(dir, `${name}.xml`);
  const socketPath = `/tmp/hkga-${createHash('sha256').update(`${uri}\0${name}`).digest('hex').slice(0, 12)}.sock`;
  const consoleLog = socketPath.replace(/\.sock$/, '.console');
  await writeFile(xmlFile, agentVmXml(name, image, { socketPath, consoleLog, ...options }));
  await virsh(uri, 'destroy', name).catch(() => undefined);
  await virsh(uri, 'undefine', name).catch(() => undefined);
  await virsh(uri, 'define', xmlFile);
  const uuid = (await virsh(uri, 'domuuid', name)).trim();
  const remove = async (): Promise<void> => {
    await virsh(uri, 'destroy', name).catch(() => undefined);
    await virsh(uri, 'undefine', name).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await rm(socketPath, { force: true });
    await rm(consoleLog, { force: true });
  };
  const started = Date.now();
  await virsh(uri, 'start', name);
  const agent = async (command: string, args?: Record<string, unknown>): Promise<unknown> => {
    const out = await virsh(
      uri,
      'qemu-agent-command',
      name,
      '--timeout',
      '10',
      JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }),
    );
    return (JSON.parse(out) as { return: unknown }).return;
  };
  let bootMs = 0;
  if (options.agent !== false) {
    for (;;) {
      try {
        await agent('guest-ping');
        break;
      } catch (err) {
        if (Date.now() - started > BOOT_TIMEOUT_MS) {
          const consoleTail = (await readFile(consoleLog, 'utf8').catch(() => '')).slice(-2000);
          // The VM goes: a failed setup must not leave it running for the next test.
          await remove();
          throw new HyperkeepError(
            'TIMEOUT',
            `The agent VM ${name} did not answer guest-ping within ${BOOT_TIMEOUT_MS / 1000} s: ${String(err)}; its console ended with: ${consoleTail}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    bootMs = Date.now() - started;
  }
  const exec = async (path: string, args: string[]): Promise<string> => {
    const { pid } = (await agent('guest-exec', { path, arg: args, 'capture-output': true })) as {
      pid: number;
    };
    for (let i = 0; i < 300; i++) {
      const s = (await agent('guest-exec-status', { pid })) as {
        exited: boolean;
        exitcode?: number;
        'out-data'?: string;
        'err-data'?: string;
      };
      if (s.exited) {
        const out = Buffer.from(s['out-data'] ?? '', 'base64').toString('utf8');
        if (s.exitcode !== 0)
          throw new Error(
            `${path} ${args.join(' ')} exited ${s.exitcode}: ${Buffer.from(s['err-data'] ?? '', 'base64').toString()}`,
          );
        return out;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${path} did not finish in the guest`);
  };
  return {
    name,
    uuid,
    bootMs,
    agent,
    exec,
    remove,
  };
}

/**
 * Real NBD servers for the client's integration tests and the catalog bench: qemu-nbd (what libvirt pull backups speak)
 * and nbdkit (a second, independent implementation), started as child processes on a unix socket
 * or a loopback port, plus libnbd's nbdinfo/nbdcopy as the reference reader.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export async function run(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(cmd, args, {
    maxBuffer: 1024 * 1024 * 1024,
    encoding: 'buffer',
  });
  return stdout.toString('utf8');
}

export async function runBinary(cmd: string, args: string[]): Promise<Buffer> {
  const { stdout } = await execFileAsync(cmd, args, {
    maxBuffer: 1024 * 1024 * 1024,
    encoding: 'buffer',
  });
  return stdout;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface RunningServer {
  process: ChildProcess;
  /** nbd:// URI for nbdinfo / nbdcopy. */
  uri: string;
  stop(): Promise<void>;
}

type Listen = { socketPath: string } | { port: number };

function probe(listen: Listen): Promise<boolean> {
  return new Promise((resolve) => {
    const socket =
      'socketPath' in listen
        ? connect({ path: listen.socketPath })
        : connect({ host: '127.0.0.1', port: listen.port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function startServer(
  cmd: string,
  args: string[],
  listen: Listen,
  exportName = '',
): Promise<RunningServer> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${cmd} exited: ${stderr}`);
    const ready =
      ('socketPath' in listen ? existsSync(listen.socketPath) : true) && (await probe(listen));
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${cmd} did not start listening: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const name = encodeURIComponent(exportName);
  const uri =
    'socketPath' in listen
      ? `nbd+unix:///${name}?socket=${listen.socketPath}`
      : `nbd://127.0.0.1:${listen.port}/${name}`;
  return {
    process: child,
    uri,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * qemu-nbd serving `image` read-only (qcow2 unless `extra` names a --format); extra args e.g.
 * ['-B', 'b0'], ['-x', 'name'] or ['--format=raw'].
 */
export function startQemuNbd(
  image: string,
  listen: Listen,
  extra: string[] = [],
  exportName = '',
): Promise<RunningServer> {
  const where =
    'socketPath' in listen
      ? [`--socket=${listen.socketPath}`]
      : ['--bind=127.0.0.1', `--port=${listen.port}`];
  const args = [
    '--persistent',
    ...where,
    ...(extra.some((a) => a.startsWith('--format')) ? [] : ['--format=qcow2']),
    '--shared=4',
    '--read-only',
    ...extra,
    image,
  ];
  return startServer('qemu-nbd', args, listen, exportName);
}

/**
 * nbdkit in the foreground. `pluginArgs`: the plugin and its parameters, filter parameters included
 * (['pattern', '8M', 'rdelay=3']); `extra`: server options such as ['--filter=delay', '--no-sr'].
 */
export function startNbdkit(
  pluginArgs: string[],
  listen: Listen,
  extra: string[] = [],
): Promise<RunningServer> {
  const where =
    'socketPath' in listen
      ? ['--unix', listen.socketPath]
      : ['-i', '127.0.0.1', '-p', String(listen.port)];
  return startServer(
    'nbdkit',
    ['-f', '--exit-with-parent', ...where, ...extra, ...pluginArgs],
    listen,
  );
}

/** A port nothing listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** `nbdinfo --map[=CONTEXT]` as [{offset, length, flags}], libnbd's view of the same export. */
export async function nbdinfoMap(
  uri: string,
  context?: string,
): Promise<{ offset: number; length: number; flags: number }[]> {
  const out = await run('nbdinfo', [context ? `--map=${context}` : '--map', uri]);
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const [offset, length, flags] = line.trim().split(/\s+/).map(Number);
      return { offset: offset ?? NaN, length: length ?? NaN, flags: flags ?? NaN };
    });
}

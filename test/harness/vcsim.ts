/**
 * The vSphere API simulator for integration tests: test/harness/vcsim/main.go (govmomi's simulator
 * package) built offline from Debian's golang-github-vmware-govmomi-dev sources, once per change
 * of its sources, into a cache under the temp directory; started on 127.0.0.1 with a free port and
 * its own self-signed TLS certificate; stopped by pid. Also uploads real VMDKs made with qemu-img
 * over the simulator's empty placeholder disks through the /folder file service.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pathExists, run, stopProcess } from './exec';

const SOURCE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'vcsim');
const GOVMOMI_SRC = '/usr/share/gocode/src/github.com/vmware/govmomi';
/** A cold build compiles govmomi's simulator: ~20 s alone, minutes on a loaded machine. */
const BUILD_TIMEOUT_MS = 15 * 60_000;
const START_TIMEOUT_MS = 30_000;

export interface Vcsim {
  /** https://127.0.0.1:<port>/sdk */
  url: string;
  /** SHA-256 of the simulator's certificate, colon-separated upper-case hex. */
  fingerprint: string;
  pid: number;
  username: string;
  password: string;
  stop(): Promise<void>;
}

export interface VcsimOptions {
  /** vpx: a vCenter with a cluster of 3 hosts and a standalone host; esx: one ESX host. */
  model: 'vpx' | 'esx';
  username?: string;
  password?: string;
}

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const name of ['main.go', 'go.mod']) hash.update(await readFile(join(SOURCE_DIR, name)));
  // A new govmomi package or Go toolchain means a new binary.
  hash.update(String((await stat(GOVMOMI_SRC)).mtimeMs));
  hash.update((await run('go', ['version'])).stdout);
  return hash.digest('hex').slice(0, 16);
}

/** Builds the simulator unless a binary of the same sources is cached; returns its path. */
export async function buildVcsim(cacheRoot = join(tmpdir(), 'hyperkeep-vcsim')): Promise<string> {
  const binary = join(cacheRoot, `vcsim-${await sourceHash()}`);
  if (await pathExists(binary)) return binary;
  await mkdir(cacheRoot, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  await run('go', ['build', '-o', partial, '.'], {
    cwd: SOURCE_DIR,
    timeoutMs: BUILD_TIMEOUT_MS,
    env: {
      ...process.env,
      // Offline: every module comes from the go.mod replace directives (Debian's sources).
      GOPROXY: 'off',
      GOFLAGS: '-mod=mod',
      GOSUMDB: 'off',
      GOTOOLCHAIN: 'local',
      GOCACHE: join(cacheRoot, 'gocache'),
      GOPATH: join(cacheRoot, 'gopath'),
    },
  });
  // Concurrent builders race harmlessly: rename is atomic, the last identical binary wins.
  await rename(partial, binary);
  return binary;
}

/** Starts a simulator and waits for it to announce its URL and certificate. */
export async function startVcsim(options: VcsimOptions): Promise<Vcsim> {
  const binary = await buildVcsim();
  const username = options.username ?? 'hkadmin';
  const password = options.password ?? 'hk-secret-pass';
  const child = spawn(
    binary,
    [
      '-model',
      options.model,
      '-listen',
      '127.0.0.1:0',
      '-username',
      username,
      '-password',
      password,
    ],
    // stdin stays open while this process lives: the simulator exits when it closes, so a crashed
    // test run leaves no simulator behind.
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  child.stderr.on('data', (b: Buffer) => stderr.push(b.toString('utf8')));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Cannot start the vSphere simulator ${binary}`);
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise<{ url: string; fingerprint: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `The vSphere simulator did not start within ${START_TIMEOUT_MS} ms: ${stderr.join('')}`,
        ),
      );
    }, START_TIMEOUT_MS);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as { url: string; fingerprint: string });
      } catch {
        reject(new Error(`The vSphere simulator printed "${line}" instead of its address`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`The vSphere simulator exited (${code}) before it was ready: ${stderr.join('')}`),
      );
    });
  });
  lines.close();
  return {
    url: ready.url,
    fingerprint: ready.fingerprint.match(/../g)!.join(':'),
    pid,
    username,
    password,
    stop: () => stopProcess(pid),
  };
}

/**
 * Uploads a local file to `[datastore] path` of the simulator's datacenter through /folder PUT,
 * the way an administrator uploads with the datastore browser.
 */
export async function uploadToDatastore(
  sim: Vcsim,
  datacenter: string,
  datastorePath: string,
  localFile: string,
): Promise<void> {
  const m = /^\[([^\]]+)\]\s*(.+)$/.exec(datastorePath);
  if (!m) throw new Error(`"${datastorePath}" is not a datastore path`);
  const base = new URL(sim.url);
  const query = new URLSearchParams({ dcPath: datacenter, dsName: m[1]! });
  const size = (await stat(localFile)).size;
  await new Promise<void>((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        method: 'PUT',
        path: `/folder/${m[2]!.split('/').map(encodeURIComponent).join('/')}?${query.toString()}`,
        headers: { 'Content-Length': size, 'Content-Type': 'application/octet-stream' },
        rejectUnauthorized: false, // the simulator's own self-signed certificate, on loopback
      },
      (res) => {
        res.resume();
        res.once('end', () =>
          res.statusCode === 200 || res.statusCode === 201
            ? resolve()
            : reject(new Error(`PUT ${datastorePath}: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.once('error', reject);
    createReadStream(localFile).pipe(req);
  });
}

/** A VMDK of `raw` made by qemu-img (monolithicSparse: one file, grains allocated for data only). */
export async function vmdkFromRaw(
  raw: string,
  out: string,
  subformat = 'monolithicSparse',
): Promise<void> {
  await rm(out, { force: true });
  await run('qemu-img', [
    'convert',
    '-f',
    'raw',
    '-O',
    'vmdk',
    '-o',
    `subformat=${subformat}`,
    raw,
    out,
  ]);
}

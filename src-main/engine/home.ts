import {
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  closeSync,
  rmSync,
  chmodSync,
} from 'node:fs';
import { hostname, homedir, platform } from 'node:os';
import { join, resolve } from 'node:path';
import { HyperkeepError } from '../../shared/errors';

/** The folder where one engine keeps its catalog, key file, logs and lock. */
export function resolveHome(explicit?: string): string {
  if (explicit) return resolve(explicit);
  if (process.env.HYPERKEEP_HOME) return resolve(process.env.HYPERKEEP_HOME);
  return defaultHome();
}

function defaultHome(): string {
  switch (platform()) {
    case 'win32':
      return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Hyperkeep');
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'Hyperkeep');
    default:
      return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'hyperkeep');
  }
}

/**
 * Where restores go when the administrator does not say otherwise (the dialogs' suggested
 * destinations): HYPERKEEP_RESTORE_DIR, or a visible folder in the user's home, not the hidden
 * data home, so restored files are found where a person looks.
 */
export function defaultRestoreFolder(): string {
  if (process.env.HYPERKEEP_RESTORE_DIR) return resolve(process.env.HYPERKEEP_RESTORE_DIR);
  return join(homedir(), 'hyperkeep-restores');
}

export interface LockOwner {
  pid: number;
  hostname: string;
  mode: string;
  startedAt: string;
}

const LOCK_FILE = 'engine.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM means the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLockOwner(home: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(join(home, LOCK_FILE), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/** The lock's holder, if it is a live engine (a stale lock of a dead process does not count). */
export function liveLockOwner(home: string): LockOwner | undefined {
  const owner = readLockOwner(home);
  if (!owner) return undefined;
  if (owner.hostname === hostname() && !isAlive(owner.pid)) return undefined;
  return owner;
}

/**
 * Takes the home's lock so only one engine writes its catalog. A lock left by a process that died
 * on this host is stale and taken over; one held by a live process is refused with who holds it.
 */
export function acquireHomeLock(home: string, mode: string): () => void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const path = join(home, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    mode,
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeFileSync(fd, JSON.stringify(me));
      closeSync(fd);
      return () => {
        if (readLockOwner(home)?.pid === process.pid) rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = liveLockOwner(home);
      if (owner) {
        throw new HyperkeepError(
          'HOME_LOCKED',
          `Another Hyperkeep engine (${owner.mode}, pid ${owner.pid} on ${owner.hostname}, started ${owner.startedAt}) is using ${home}. ` +
            'Stop it first, or use a different --home.',
          { ...owner, home },
        );
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new HyperkeepError('HOME_LOCKED', `Could not take the lock of ${home}`);
}

/** Where a running `hyperkeep serve` tells CLIs of the same home how to reach it (0600: it holds the token). */
export interface ServerEndpoint {
  url: string;
  token: string;
  pid: number;
}

const SERVER_FILE = 'server.json';

export function writeServerEndpoint(home: string, endpoint: ServerEndpoint): () => void {
  const path = join(home, SERVER_FILE);
  writeFileSync(path, JSON.stringify(endpoint), { mode: 0o600 });
  chmodSync(path, 0o600);
  return () => rmSync(path, { force: true });
}

export function readServerEndpoint(home: string): ServerEndpoint | undefined {
  try {
    const endpoint = JSON.parse(readFileSync(join(home, SERVER_FILE), 'utf8')) as ServerEndpoint;
    return isAlive(endpoint.pid) ? endpoint : undefined;
  } catch {
    return undefined;
  }
}

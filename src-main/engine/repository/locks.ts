import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { HyperkeepError } from '../../../shared/errors';
import { RepoKeys, type RepositoryBackend } from './backend';

/**
 * Lock protocol. Backups, verify and prune take shared locks; gc (which deletes packs) takes an
 * exclusive one. To lock: write `locks/<random id>`, then list locks/; if a conflicting live lock
 * exists, remove ours and retry later. Of two conflicting lockers, whichever lists second sees
 * the other, so they can never both proceed (this needs only atomic put and read-after-write
 * listing, which S3 has too). Locks are plaintext JSON so a stale one can be diagnosed by hand.
 */
export type LockKind = 'shared' | 'exclusive';

const LockFile = z.object({
  format: z.literal('hyperkeep-lock'),
  version: z.literal(1),
  kind: z.enum(['shared', 'exclusive']),
  operation: z.string(),
  hostname: z.string(),
  pid: z.number().int(),
  /** "<boot id>:<start time in clock ticks>" on Linux, so a reused pid is not mistaken for us. */
  processStart: z.string().nullable(),
  createdAt: z.string(),
  refreshedAt: z.string(),
});
export type LockFile = z.infer<typeof LockFile>;

/** The holder refreshes every 5 minutes; a lock from another host silent for 30 is stale. */
const REFRESH_MS = 5 * 60_000;
export const FOREIGN_STALE_MS = 30 * 60_000;

export interface AcquireOptions {
  /** How long to wait for conflicting locks to go away; 0 fails at once. */
  waitMs?: number;
  pollMs?: number;
  /** Seen as our identity: tests use it to forge another holder. */
  hostname?: string;
}

/** Start time of a process, stable for its whole life; null where /proc is not available. */
export function processStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); fields after the ")" that ends the command name start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const start = fields[19];
    return start === undefined ? null : `${bootId}:${start}`;
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process whose parent has not reaped it yet (a zombie) still answers signal 0.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (err) {
    // No /proc (not Linux): trust the signal. ENOENT: it exited just now.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Why a lock no longer protects anything, or null when its holder may still be working. */
export function staleReason(lock: LockFile, now: number, ourHostname: string): string | null {
  if (lock.hostname === ourHostname) {
    if (!pidAlive(lock.pid)) return `process ${lock.pid} on this host is gone`;
    const start = processStartOf(lock.pid);
    if (lock.processStart !== null && start !== null && start !== lock.processStart) {
      return `process ${lock.pid} on this host was restarted (pid reused)`;
    }
    return null;
  }
  const age = now - Date.parse(lock.refreshedAt);
  return age > FOREIGN_STALE_MS ? `not refreshed for ${Math.round(age / 60_000)} minutes` : null;
}

/**
 * A lock that does not fit: the storage error's advice ("prune old restore points") would send
 * the administrator in a circle, since prune needs a lock file too.
 */
function noRoomForLock(err: unknown, backend: RepositoryBackend, operation: string): unknown {
  if (!(err instanceof HyperkeepError) || err.details?.['reason'] !== 'NO_SPACE') return err;
  return new HyperkeepError(
    'INTERNAL',
    `No space left on the storage holding the repository at ${backend.location}, not even for the small lock file that ${operation} needs: free some space on that storage by other means (files that are not part of the repository), then prune old restore points. Restore points already committed are not affected and can still be restored.`,
    { reason: 'NO_SPACE', operation },
  );
}

function describe(lock: LockFile): string {
  return `${lock.operation} (${lock.kind} lock) by pid ${lock.pid} on ${lock.hostname} since ${lock.createdAt}`;
}

export class RepositoryLock {
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> = Promise.resolve();
  private released = false;

  private constructor(
    private readonly backend: RepositoryBackend,
    readonly id: string,
    private info: LockFile,
  ) {}

  get kind(): LockKind {
    return this.info.kind;
  }

  static async acquire(
    backend: RepositoryBackend,
    kind: LockKind,
    operation: string,
    options: AcquireOptions = {},
  ): Promise<RepositoryLock> {
    const host = options.hostname ?? osHostname();
    const deadline = Date.now() + (options.waitMs ?? 0);
    const id = randomBytes(16).toString('hex');
    const now = new Date().toISOString();
    const info: LockFile = {
      format: 'hyperkeep-lock',
      version: 1,
      kind,
      operation,
      hostname: host,
      pid: process.pid,
      processStart: processStartOf(process.pid),
      createdAt: now,
      refreshedAt: now,
    };
    const lock = new RepositoryLock(backend, id, info);
    for (;;) {
      // Look first so a waiting locker does not make others back off again and again.
      let conflicts = await RepositoryLock.conflicts(backend, kind, id, host);
      if (conflicts.length === 0) {
        await backend.put(RepoKeys.lock(id), lock.serialize()).catch((err: unknown) => {
          throw noRoomForLock(err, backend, operation);
        });
        conflicts = await RepositoryLock.conflicts(backend, kind, id, host);
        if (conflicts.length === 0) {
          lock.startRefreshing();
          return lock;
        }
        await backend.delete(RepoKeys.lock(id));
      }
      if (Date.now() >= deadline) {
        throw new HyperkeepError(
          'TIMEOUT',
          `The repository at ${backend.location} is in use: ${conflicts.map(describe).join('; ')}. Try again when it has finished.`,
          { reason: 'REPOSITORY_LOCKED', holders: conflicts },
        );
      }
      await sleep(
        Math.min(options.pollMs ?? 500, Math.max(1, deadline - Date.now())) *
          (0.75 + Math.random() / 2),
      );
    }
  }

  /** Live locks that conflict with taking `kind`; stale ones are removed on the way. */
  private static async conflicts(
    backend: RepositoryBackend,
    kind: LockKind,
    ownId: string,
    host: string,
  ): Promise<LockFile[]> {
    const out: LockFile[] = [];
    for (const obj of await backend.list('locks/')) {
      const id = RepoKeys.idOf(obj.key);
      if (id === ownId) continue;
      const lock = await readLock(backend, obj.key);
      if (lock === 'gone') continue;
      // A lock that does not parse cannot have come from a complete atomic put: remove it.
      if (lock === 'damaged' || staleReason(lock, Date.now(), host) !== null) {
        await backend.delete(obj.key);
        continue;
      }
      if (kind === 'exclusive' || lock.kind === 'exclusive') out.push(lock);
    }
    return out;
  }

  private serialize(): Uint8Array {
    return Buffer.from(JSON.stringify(this.info, null, 2));
  }

  private startRefreshing(): void {
    this.timer = setInterval(() => {
      this.info = { ...this.info, refreshedAt: new Date().toISOString() };
      // A failed refresh is retried at the next tick; the lock only goes stale after 30 minutes.
      this.refreshing = this.backend
        .put(RepoKeys.lock(this.id), this.serialize())
        .catch(() => undefined);
    }, REFRESH_MS);
    this.timer.unref();
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    // A refresh landing after the delete would resurrect the lock for as long as we live.
    await this.refreshing;
    await this.backend.delete(RepoKeys.lock(this.id));
  }
}

async function readLock(
  backend: RepositoryBackend,
  key: string,
): Promise<LockFile | 'gone' | 'damaged'> {
  try {
    const parsed = LockFile.safeParse(
      JSON.parse(Buffer.from(await backend.get(key)).toString('utf8')),
    );
    return parsed.success ? parsed.data : 'damaged';
  } catch (err) {
    if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') return 'gone';
    if (err instanceof SyntaxError) return 'damaged';
    throw err;
  }
}

/** How long a restore waits for another process's gc (default of OpenOptions.readLockWaitMs). */
export const READ_LOCK_WAIT_MS = 30 * 60_000;

/**
 * The shared lock a process holds while it reads restore points (see ReadGate). Waits up to
 * `waitMs` for another process's gc; null where no lock can be written (read-only storage, no
 * space left): reading then goes ahead without one, as it did before locks for readers existed.
 */
export async function lockForReaders(
  backend: RepositoryBackend,
  waitMs: number,
): Promise<RepositoryLock | null> {
  try {
    return await RepositoryLock.acquire(backend, 'shared', 'restore (reading restore points)', {
      waitMs,
      pollMs: 1000,
    });
  } catch (err) {
    if (err instanceof HyperkeepError && err.details?.['reason'] === 'REPOSITORY_LOCKED') throw err;
    return null;
  }
}

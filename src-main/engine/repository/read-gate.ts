import { HyperkeepError } from '../../../shared/errors';

/** How long gc waits for the point readers open in this process before giving up. */
export const GC_READERS_WAIT_MS = 30 * 60_000;

/** A repository lock held for this process's readers (locks.ts), or null when none could be. */
export type ReaderLock = { release(): Promise<void> } | null;

/**
 * Keeps garbage collection and the readers of restore points apart.
 *
 * gc moves the live chunks of half-empty packs into new packs and deletes the old ones, and so
 * could pull a pack from under a restore in progress, even one of a point it keeps.
 * - Within a process, gc starts only once no reader is open (readers come first: a prune may
 *   wait for a long restore, never the other way round), and readers that open while it runs
 *   wait for it to end, which then find the chunks where gc put them.
 * - Across processes (a second console attached to the same repository, a CLI next to `serve`),
 *   the process holds one shared repository lock while it has any reader open (`lockReaders`),
 *   which gc's exclusive lock waits for, as it waits for backups; a reader waits for another
 *   process's gc in the same way. One lock per process, not per reader: browsing file after
 *   file costs one lock file, not one each. Where no lock can be written (a read-only or full
 *   disk) readers go ahead without one: a restore must never fail for want of a lock file.
 */
export class ReadGate {
  private readonly readers = new Map<number, string>();
  private nextId = 0;
  /** Settles when the running gc ends; null while none runs. */
  private exclusive: Promise<void> | null = null;
  /** Woken each time a reader leaves. */
  private waiters: (() => void)[] = [];
  /** The lock the open readers share, taken by the first of them; null while none is open. */
  private lock: Promise<ReaderLock> | null = null;
  /** Settles when the lock of the last readers is released (gc must not meet our own lock). */
  private releasing: Promise<void> = Promise.resolve();

  /** `lockReaders` takes the shared lock for this process's readers (see the class comment). */
  constructor(private readonly lockReaders?: () => Promise<ReaderLock>) {}

  /**
   * Registers a reader (`what` names it in gc's messages); the function returned ends it.
   * Waits while a gc runs, here or (with lockReaders) in another process.
   */
  async enter(what: string): Promise<() => void> {
    while (this.exclusive) await this.exclusive;
    // Registered before any wait below, so that gc here cannot start in between.
    const id = this.nextId++;
    this.readers.set(id, what);
    const leave = (): void => {
      if (!this.readers.delete(id)) return;
      if (this.readers.size === 0 && this.lock) {
        const lock = this.lock;
        this.lock = null;
        this.releasing = lock.then((held) => held?.release()).catch(() => undefined);
      }
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    };
    if (this.lockReaders) {
      const lockReaders = this.lockReaders;
      this.lock ??= this.releasing.then(() => lockReaders());
      const lock = this.lock;
      try {
        await lock;
      } catch (err) {
        // Only the reader that took it may forget a failed lock; others share the failure.
        if (this.lock === lock) this.lock = null;
        leave();
        throw err;
      }
    }
    return leave;
  }

  /** What is reading now, for a person to see what gc waits for. */
  openReaders(): string[] {
    return [...this.readers.values()];
  }

  /**
   * Resolves once no reader is open, without holding readers back meanwhile. Throws TIMEOUT,
   * naming the readers, at `deadline`, and CANCELLED when `signal` aborts; calls `onWait` with
   * the open readers when it starts waiting.
   */
  async idle(options: {
    deadline: number;
    signal?: AbortSignal;
    onWait?: (readers: string[]) => void;
  }): Promise<void> {
    let told = false;
    for (;;) {
      while (this.exclusive) await this.exclusive;
      if (this.readers.size === 0) {
        await this.releasing;
        if (this.readers.size === 0) return;
        continue;
      }
      options.signal?.throwIfAborted();
      if (!told) options.onWait?.(this.openReaders());
      told = true;
      const left = options.deadline - Date.now();
      if (left <= 0) {
        const open = this.openReaders();
        throw new HyperkeepError(
          'TIMEOUT',
          `Garbage collection waited for ${open.length} reader(s) of restore points to finish (${open.slice(0, 3).join('; ')}${open.length > 3 ? '; …' : ''}) and did not run: the space comes back at the next prune.`,
          { reason: 'REPOSITORY_IN_USE', readers: open },
        );
      }
      await new Promise<void>((wake) => {
        const done = () => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', done);
          wake();
        };
        const timer = setTimeout(done, left);
        options.signal?.addEventListener('abort', done);
        this.waiters.push(done);
      });
    }
  }

  /**
   * Runs `work` with new readers held back until it ends, if no reader is open right now;
   * null (and nothing run) otherwise.
   */
  tryExclusive<T>(work: () => Promise<T>): Promise<T> | null {
    if (this.exclusive || this.readers.size > 0) return null;
    let release!: () => void;
    this.exclusive = new Promise<void>((resolve) => (release = resolve));
    return work().finally(() => {
      this.exclusive = null;
      release();
    });
  }
}

import { HyperkeepError } from '../../../shared/errors';

/** How long gc waits for the point readers open in this process before giving up. */
export const GC_READERS_WAIT_MS = 30 * 60_000;

/**
 * Keeps garbage collection and the readers of restore points apart, within one process.
 *
 * Readers take no repository lock: a restore then needs no write access to the repository, and
 * browsing a file costs no lock file. But gc moves the live chunks of half-empty packs into new
 * packs and deletes the old ones, and so could pull a pack from under a restore in progress,
 * even one of a point it keeps. So gc starts only once no reader is open (readers come first:
 * a prune may wait for a long restore, never the other way round), and readers that open while
 * it runs wait for it to end, which then find the chunks where gc put them.
 */
export class ReadGate {
  private readonly readers = new Map<number, string>();
  private nextId = 0;
  /** Settles when the running gc ends; null while none runs. */
  private exclusive: Promise<void> | null = null;
  /** Woken each time a reader leaves. */
  private waiters: (() => void)[] = [];

  /** Registers a reader (`what` names it in gc's messages); the function returned ends it. */
  async enter(what: string): Promise<() => void> {
    while (this.exclusive) await this.exclusive;
    const id = this.nextId++;
    this.readers.set(id, what);
    return () => {
      if (!this.readers.delete(id)) return;
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    };
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
      if (this.readers.size === 0) return;
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

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
   * Runs `work` (gc) once no reader is open, holding new readers back until it ends. Waits at
   * most `waitMs`, calling `onWait` with the open readers when it starts waiting.
   */
  async runExclusive<T>(
    work: () => Promise<T>,
    options: { waitMs?: number; onWait?: (readers: string[]) => void } = {},
  ): Promise<T> {
    const waitMs = options.waitMs ?? GC_READERS_WAIT_MS;
    const deadline = Date.now() + waitMs;
    let told = false;
    for (;;) {
      while (this.exclusive) await this.exclusive;
      if (this.readers.size === 0) break;
      if (!told) options.onWait?.(this.openReaders());
      told = true;
      const left = deadline - Date.now();
      if (left <= 0) {
        const open = this.openReaders();
        throw new HyperkeepError(
          'TIMEOUT',
          `Garbage collection waited ${describeWait(waitMs)} for ${open.length} reader(s) of restore points to finish (${open.slice(0, 3).join('; ')}${open.length > 3 ? '; …' : ''}) and did not run: the space comes back at the next prune.`,
          { reason: 'REPOSITORY_IN_USE', readers: open },
        );
      }
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
    let release!: () => void;
    this.exclusive = new Promise<void>((resolve) => (release = resolve));
    try {
      return await work();
    } finally {
      this.exclusive = null;
      release();
    }
  }
}

function describeWait(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

/**
 * The per-host concurrency limit of backups: however many VMs a job reads in parallel (its data
 * readers), at most N of them run on one hypervisor host at a time, counted over every job of
 * the engine (two subclients on the same host share its slots). A host's disks, network and
 * QEMU processes are what a backup loads, so the limit is per host, not per job.
 */

/** Counting slots per host. A caller states its own limit when it takes one. */
export class HostSlots {
  private readonly taken = new Map<string, number>();
  private readonly waiters = new Set<() => void>();

  /** Takes a slot on `host` when fewer than `limit` are taken; says whether it did. */
  tryTake(host: string, limit: number): boolean {
    const now = this.taken.get(host) ?? 0;
    if (now >= Math.max(1, limit)) return false;
    this.taken.set(host, now + 1);
    return true;
  }

  release(host: string): void {
    const now = this.taken.get(host) ?? 0;
    if (now <= 1) this.taken.delete(host);
    else this.taken.set(host, now - 1);
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }

  /** How many slots are taken on `host` right now. */
  inUse(host: string): number {
    return this.taken.get(host) ?? 0;
  }

  /** Resolves at the next release on any host. */
  nextRelease(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }
}

export interface HostLimitedOptions<T> {
  /** Items in flight at once across all hosts (the job's data readers). */
  parallel: number;
  hostOf(item: T): string;
  /** The per-host limit that applies to this item (from its subclient's settings). */
  limitOf(item: T): number;
  slots: HostSlots;
  /** Once aborted, no further item starts; running ones are awaited. */
  signal: AbortSignal;
}

/**
 * Runs `work` over `items`, at most `parallel` at once and never more than an item's host limit
 * on its host. Items are started in order, except that one whose host is full is passed over for
 * a later one on a free host (no worker idles behind a busy host). `work` must not reject.
 */
export async function runHostLimited<T>(
  items: readonly T[],
  options: HostLimitedOptions<T>,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const { slots, signal } = options;
  const pending = [...items];
  const active = new Set<Promise<void>>();
  const parallel = Math.max(1, options.parallel);
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  // Bounded: each round starts an item, or waits for a running item or a slot to be released;
  // there are finitely many items and each runs once.
  while (active.size > 0 || (pending.length > 0 && !signal.aborted)) {
    while (!signal.aborted && active.size < parallel) {
      const index = pending.findIndex((item) =>
        slots.tryTake(options.hostOf(item), options.limitOf(item)),
      );
      if (index < 0) break;
      const item = pending.splice(index, 1)[0]!;
      const host = options.hostOf(item);
      const task: Promise<void> = work(item).finally(() => {
        slots.release(host);
        active.delete(task);
      });
      active.add(task);
    }
    if (active.size === 0 && (pending.length === 0 || signal.aborted)) break;
    // After a cancel only the running items are awaited (the already-settled `aborted` in the
    // race would spin this loop on microtasks). Otherwise another job may hold the slots this
    // job's next item needs: a release anywhere, or the cancel, wakes us too.
    if (signal.aborted) await Promise.race(active);
    else await Promise.race([...active, slots.nextRelease(), aborted]);
  }
}

import { open, type FileHandle } from 'node:fs/promises';

/** Files kept open at most: a restore or a catalog walk reads from a few packs at a time. */
const MAX_OPEN = 16;
/** A handle nobody used for this long is closed (and the file's space freed if it was deleted). */
const IDLE_MS = 2000;

interface Entry {
  handle: Promise<FileHandle>;
  users: number;
  lastUsed: number;
  /** Set while a close waits for the last read on this handle to end. */
  onIdle?: () => void;
}

/**
 * Open read-only handles of repository objects, reused across ranged reads. Why: a catalog walk
 * or a restore reads hundreds of small ranges from the same packs, and open + close around each
 * read cost more main-thread time than the reads (about 0.8 s of a 65k-file cataloging).
 * Objects are immutable once written, so a cached handle always reads what a fresh one would;
 * a pack deleted by this process is evicted first, and one deleted by another process is read
 * as it was until its handle goes idle.
 */
export class ReadHandles {
  private readonly entries = new Map<string, Entry>();
  private sweeper: NodeJS.Timeout | undefined;

  /** Runs `read` with an open handle of `path`; a failed open is not cached. */
  async with<T>(path: string, read: (fh: FileHandle) => Promise<T>): Promise<T> {
    let entry = this.entries.get(path);
    if (!entry) {
      entry = { handle: open(path, 'r'), users: 0, lastUsed: 0 };
      this.entries.set(path, entry);
      const opened = entry;
      opened.handle.catch(() => {
        if (this.entries.get(path) === opened) this.entries.delete(path);
      });
      this.evictBeyondLimit();
    }
    entry.users++;
    try {
      return await read(await entry.handle);
    } finally {
      entry.users--;
      entry.lastUsed = performance.now();
      if (entry.users === 0) entry.onIdle?.();
      this.scheduleSweep();
    }
  }

  /** Closes the handle of `path` (before the file is deleted), once its reads are done. */
  async forget(path: string): Promise<void> {
    const entry = this.entries.get(path);
    if (!entry) return;
    this.entries.delete(path);
    await this.closeWhenIdle(entry);
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    clearTimeout(this.sweeper);
    this.sweeper = undefined;
    await Promise.all(all.map((e) => this.closeWhenIdle(e)));
  }

  private async closeWhenIdle(entry: Entry): Promise<void> {
    // Out of the map, so no new read starts on it: the last running one wakes us.
    if (entry.users > 0) await new Promise<void>((resolve) => (entry.onIdle = resolve));
    const fh = await entry.handle.catch(() => undefined);
    await fh?.close().catch(() => undefined);
  }

  private evictBeyondLimit(): void {
    if (this.entries.size <= MAX_OPEN) return;
    // The least recently used idle handle goes (Map order is insertion order, not use order).
    let oldest: [string, Entry] | undefined;
    for (const pair of this.entries) {
      if (pair[1].users === 0 && (!oldest || pair[1].lastUsed < oldest[1].lastUsed)) oldest = pair;
    }
    if (oldest) void this.forget(oldest[0]);
  }

  private scheduleSweep(): void {
    if (this.sweeper) return;
    this.sweeper = setTimeout(() => {
      this.sweeper = undefined;
      const now = performance.now();
      for (const [path, entry] of this.entries) {
        if (entry.users === 0 && now - entry.lastUsed >= IDLE_MS) void this.forget(path);
      }
      if (this.entries.size > 0) this.scheduleSweep();
    }, IDLE_MS);
    // Never keeps the process alive on its own.
    this.sweeper.unref();
  }
}

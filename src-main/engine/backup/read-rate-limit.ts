import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A ceiling on how fast one VM's disks are read (the subclient's "Limit read rate"), so a backup
 * in business hours leaves the datastore's bandwidth to the VMs that run on it. Every read books
 * the next slot of time its length needs at the rate, and starts when its slot begins: reads in
 * flight (and the VM's disks read in parallel) share the rate, an idle moment earns no credit,
 * and no more than one read is ever ahead of the rate.
 */
export class ReadRateLimit {
  /** When (performance.now() ms) the next booked slot begins. */
  private nextSlotMs = 0;

  constructor(readonly bytesPerSecond: number) {}

  /** Waits until `bytes` may be read; rejects when `signal` aborts first. */
  async take(bytes: number, signal: AbortSignal): Promise<void> {
    const now = performance.now();
    const start = Math.max(now, this.nextSlotMs);
    this.nextSlotMs = start + (bytes / this.bytesPerSecond) * 1000;
    if (start > now) await sleep(start - now, undefined, { signal });
  }
}

/**
 * The limit of one VM's backup from its subclient's setting in MiB/s (none for 0 or absent),
 * said in the job's log: a slow backup should not look like a slow host.
 */
export function readRateLimitFor(
  log: (line: string) => void,
  mibPerSecond: number | undefined,
): ReadRateLimit | undefined {
  if (!mibPerSecond || mibPerSecond <= 0) return undefined;
  log(`Reading at most ${mibPerSecond} MiB/s (the subclient's read limit)`);
  return new ReadRateLimit(mibPerSecond * 1024 * 1024);
}

import type { GcOptions } from '../repository/maintenance';
import type { JobContext } from './job-controller';

/** How long a prune or a deletion waits for the backups writing to the repository. */
export const GC_BACKUPS_WAIT_MS = 60 * 60_000;

/**
 * How a prune or a deletion frees space: it waits for the backups writing to the repository and
 * the restores reading it (Repository.gc) rather than failing, and can be cancelled meanwhile;
 * the phase says what it waits for and the log names it, so a job that seems stuck says why.
 */
export function gcOptionsFor(ctx: JobContext): GcOptions {
  return {
    lockWaitMs: GC_BACKUPS_WAIT_MS,
    signal: ctx.signal,
    onWaitForReaders: (readers) => {
      ctx.phase(`waiting for ${readers.length} restore(s) reading the repository`);
      ctx.log(`Freeing space waits for restores in progress to finish: ${readers.join('; ')}`);
    },
    onWaitForLock: (holders) => {
      ctx.phase(`waiting for ${holders.join(', ') || 'another operation'} to finish`);
      ctx.log(`Freeing space waits for the repository to be free: ${holders.join('; ')}`);
    },
  };
}

import type { JobContext } from './job-controller';

/**
 * What a prune or a deletion shows while its gc waits for restores of the same repository
 * (Repository.gc): the phase says so, and the log names the readers, so a job that seems stuck
 * says what it waits for.
 */
export function waitingForReaders(ctx: JobContext): (readers: string[]) => void {
  return (readers) => {
    ctx.phase(`waiting for ${readers.length} restore(s) reading the repository`);
    ctx.log(`Freeing space waits for restores in progress to finish: ${readers.join('; ')}`);
  };
}

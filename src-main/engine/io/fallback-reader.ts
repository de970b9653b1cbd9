import { checkRange } from './file-reader';
import type { RandomAccessReader } from './random-access';

/**
 * Reads from `primary` until one of its reads fails, then from the reader `openFallback` gives,
 * for that read and every later one. Both must hold exactly the same content: the cataloging
 * phase reads a backed-up disk from the hypervisor's export (cheap) and falls back to the restore
 * point in the repository (decrypting and decompressing) when the export goes away mid-walk, say
 * because the VM was shut down. Closing closes the fallback only: the caller owns the primary.
 */
export class FallbackReader implements RandomAccessReader {
  private fallback: Promise<RandomAccessReader> | undefined;

  constructor(
    private readonly primary: RandomAccessReader,
    private readonly openFallback: () => Promise<RandomAccessReader>,
    /** Told once, with the primary's error, when the reads switch over. */
    private readonly onSwitch: (cause: unknown) => void = () => undefined,
  ) {}

  get size(): number {
    return this.primary.size;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    // A bad range is the caller's mistake, not the source failing: no switch for that.
    checkRange(offset, length, this.size, 'the disk');
    if (!this.fallback) {
      try {
        return await this.primary.read(offset, length);
      } catch (err) {
        if (!this.fallback) {
          this.onSwitch(err);
          this.fallback = this.openFallback();
        }
      }
    }
    return (await this.fallback).read(offset, length);
  }

  async close(): Promise<void> {
    const fallback = this.fallback;
    this.fallback = undefined;
    if (fallback) await (await fallback).close();
  }
}

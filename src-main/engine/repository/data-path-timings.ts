/**
 * Where a backup's time goes, summed over the whole process: the benchmark (scripts/bench/) resets
 * these before a backup and prints them after. Each counter costs two performance.now() calls per
 * piece or chunk (~100 ns), so they stay on in production: a slow backup can be explained from
 * the same numbers.
 *
 * Main-thread counters (readWait, chunk, hash, sealWait, write) are wall time on the event loop;
 * compress and encrypt are thread time summed over the seal workers, which run in parallel, so
 * their sum may exceed the backup's wall time.
 */
export interface DataPathTimings {
  /** Main thread waiting for the hypervisor's data (NBD reads or volume download). */
  readWaitMs: number;
  /** FastCDC boundary search, plus copying chunks out of the read buffers. */
  chunkMs: number;
  /** Keyed BLAKE3 chunk ids. */
  hashMs: number;
  /** Main thread waiting for a free sealing slot (the workers are the bottleneck). */
  sealWaitMs: number;
  /** zstd, in the seal workers. */
  compressMs: number;
  /** ChaCha20-Poly1305 or HMAC-SHA-256, in the seal workers. */
  encryptMs: number;
  /** Pack and index files written to the repository backend (durable puts). */
  writeMs: number;
  chunks: number;
}

export const dataPathTimings: DataPathTimings = {
  readWaitMs: 0,
  chunkMs: 0,
  hashMs: 0,
  sealWaitMs: 0,
  compressMs: 0,
  encryptMs: 0,
  writeMs: 0,
  chunks: 0,
};

export function resetDataPathTimings(): void {
  for (const key of Object.keys(dataPathTimings) as (keyof DataPathTimings)[]) {
    dataPathTimings[key] = 0;
  }
}

/**
 * Where a backup's time goes, summed over the whole process: the benchmark (scripts/bench/) resets
 * these before a backup and prints them after. Each counter costs two performance.now() calls per
 * piece or chunk (~100 ns), so they stay on in production: a slow backup can be explained from
 * the same numbers.
 *
 * readWait, sealWait and write are wall time on the event loop; chunk, hash, compress and
 * encrypt are time spent in the data worker threads, summed over them (they run in parallel, so
 * the sum may exceed the backup's wall time).
 */
export interface DataPathTimings {
  /** Main thread waiting for the hypervisor's data (NBD reads or volume download). */
  readWaitMs: number;
  /** FastCDC boundary search and the all-zero check, in the workers. */
  chunkMs: number;
  /** Keyed BLAKE3 chunk ids, in the workers. */
  hashMs: number;
  /** Main thread waiting for a free segment slot (then the workers are the bottleneck). */
  sealWaitMs: number;
  /** zstd, in the workers. */
  compressMs: number;
  /** ChaCha20-Poly1305 or HMAC-SHA-256, in the workers. */
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

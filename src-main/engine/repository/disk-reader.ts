import { HyperkeepError } from '../../../shared/errors';
import type { RandomAccessReader } from '../io/random-access';
import type { BlobLoader } from './blob-loader';
import { firstRunEndingAfter, type DiskMap, type DiskRun } from './disk-map';

/** Chunks fetched at once by one read, and chunks fetched ahead of a read for the next one. */
const PARALLEL_FETCHES = 8;
const READ_AHEAD_CHUNKS = 4;

/**
 * Random access to one disk of a restore point: the source of a restore, of file browsing and of
 * the catalog. Holes read as zeros; chunks come through the repository's blob cache, so small
 * reads inside one chunk fetch it once, and sequential readers find the next chunks prefetched.
 */
export class PointDiskReader implements RandomAccessReader {
  constructor(
    private readonly map: DiskMap,
    private readonly blobs: BlobLoader,
    private readonly what: string,
  ) {}

  get size(): number {
    return this.map.sizeBytes;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.size
    ) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Cannot read bytes ${offset}+${length} of ${this.what}: it has ${this.size} bytes`,
      );
    }
    const out = new Uint8Array(length);
    const end = offset + length;
    const runs = this.map.runs;
    const first = firstRunEndingAfter(runs, offset);
    const needed: DiskRun[] = [];
    let i = first;
    for (; i < runs.length && runs[i]!.offset < end; i++) needed.push(runs[i]!);
    // Warm the cache for a sequential reader while we copy this range.
    for (let j = i; j < Math.min(runs.length, i + READ_AHEAD_CHUNKS); j++) {
      this.blobs.load(runs[j]!.chunk).catch(() => undefined);
    }
    let next = 0;
    const worker = async () => {
      // Bounded: each iteration takes one run off the shared list.
      while (next < needed.length) {
        const r = needed[next++]!;
        const data = await this.blobs.load(r.chunk);
        const s = Math.max(r.offset, offset);
        const e = Math.min(r.offset + r.length, end);
        const from = r.chunkOffset + (s - r.offset);
        if (from + (e - s) > data.length) {
          throw new HyperkeepError(
            'INTERNAL',
            `${this.what}: a run refers to bytes ${from}–${from + e - s} of chunk ${r.chunk.slice(0, 16)}…, which has ${data.length}`,
            { reason: 'CORRUPT', chunk: r.chunk },
          );
        }
        out.set(data.subarray(from, from + (e - s)), s - offset);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_FETCHES, needed.length) }, worker));
    return out;
  }

  async close(): Promise<void> {
    // Chunks stay in the repository-wide cache; nothing is held per reader.
  }
}

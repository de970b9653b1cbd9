import { HyperkeepError } from '../../../shared/errors';
import type { RandomAccessReader } from '../io/random-access';
import type { BlobLoader } from './blob-loader';
import { firstRunEndingAfter, type DiskMap, type DiskRun } from './disk-map';
import type { AssembleChunk } from './open-sealed-chunk';

/** Chunks fetched at once by one read, and chunks fetched ahead of a read for the next one. */
const PARALLEL_FETCHES = 8;
const READ_AHEAD_CHUNKS = 4;
/**
 * Blocks a whole-disk stream keeps read or being built ahead of its consumer: enough pack reads
 * and decodes to keep every worker busy while the consumer writes.
 */
const STREAM_AHEAD_BLOCKS = 4;
/** Longest single pack read of a stream (adjacent chunks merged). */
const MAX_READ_BYTES = 16 * 1024 * 1024;

export interface PointDiskReaderOptions {
  /**
   * Fetch the chunks after each read for the next one (default). Off for readers that know
   * exactly what they want, such as a file restore from the catalog's extents: prefetching past
   * the end of a file would read chunks nobody uses.
   */
  readAhead?: boolean;
  /**
   * A one-off pass over the disk (cataloging a new point): chunks are kept in a cache of this
   * many bytes owned by the reader instead of the repository-wide one, and close() drops it and
   * stops the decoding threads if nothing else is using them. Nothing of the pass stays resident
   * once it ends, and it does not evict what browsing and restores keep cached.
   */
  privateCacheBytes?: number;
}

/** A block of a disk that holds stored data; everything outside the blocks reads as zeros. */
export interface DiskBlock {
  offset: number;
  data: Uint8Array;
  /**
   * Hands `data` back for a later block once the caller is done with it (written): a restore
   * then reuses a few buffers instead of allocating, zeroing and collecting one per block.
   */
  release(): void;
}

interface BlockPlan {
  offset: number;
  length: number;
  /** The runs starting in the block; the last may pass its end by `overflow` bytes. */
  runs: DiskRun[];
  overflow: number;
  /** The previous block's overflow belongs at the start of this one. */
  carried: boolean;
}

interface BuiltBlock {
  plan: BlockPlan;
  data: Uint8Array;
  overflow: Uint8Array;
}

/** Free block buffers kept for reuse by a stream. */
const SPARE_BLOCKS = 4;

/**
 * Random access to one disk of a restore point: the source of a restore, of file browsing and of
 * the catalog. Holes read as zeros; chunks come through the repository's blob cache, so small
 * reads inside one chunk fetch it once, and sequential readers find the next chunks prefetched.
 */
export class PointDiskReader implements RandomAccessReader {
  private readonly readAhead: boolean;
  /** Chunks by id in least-recently-used order, when the reader owns its cache. */
  private readonly own: Map<string, Uint8Array> | null;
  private ownBytes = 0;
  private readonly ownLimit: number;

  constructor(
    private readonly map: DiskMap,
    private readonly blobs: BlobLoader,
    private readonly what: string,
    options: PointDiskReaderOptions = {},
    /** Called once when the reader is closed (Repository.openDisk's ReadGate). */
    private readonly onClose: () => void = () => undefined,
  ) {
    this.readAhead = options.readAhead ?? true;
    this.ownLimit = options.privateCacheBytes ?? 0;
    this.own = this.ownLimit > 0 ? new Map() : null;
  }

  /** A chunk through the reader's own cache when it has one, else the repository's. */
  private async chunk(id: string): Promise<Uint8Array> {
    const own = this.own;
    if (!own) return this.blobs.load(id);
    const hit = own.get(id);
    if (hit) {
      own.delete(id);
      own.set(id, hit);
      return hit;
    }
    const data = await this.blobs.load(id, { cache: false });
    if (!own.has(id) && data.length <= this.ownLimit / 4) {
      own.set(id, data);
      this.ownBytes += data.length;
      // Bounded: each pass evicts one entry.
      for (const [key, value] of own) {
        if (this.ownBytes <= this.ownLimit) break;
        own.delete(key);
        this.ownBytes -= value.length;
      }
    }
    return data;
  }

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
    // Binary search: a 2 TiB disk has ~2 million runs.
    const first = firstRunEndingAfter(runs, offset);
    const needed: DiskRun[] = [];
    let i = first;
    for (; i < runs.length && runs[i]!.offset < end; i++) needed.push(runs[i]!);
    if (this.readAhead) {
      // Warm the cache for a sequential reader while we copy this range.
      for (let j = i; j < Math.min(runs.length, i + READ_AHEAD_CHUNKS); j++) {
        this.chunk(runs[j]!.chunk).catch(() => undefined);
      }
    }
    let next = 0;
    const worker = async () => {
      // Bounded: each iteration takes one run off the shared list.
      while (next < needed.length) {
        const r = needed[next++]!;
        const data = await this.chunk(r.chunk);
        this.copyRun(r, data, out, offset, end);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_FETCHES, needed.length) }, worker));
    return out;
  }

  /**
   * The whole disk in order, as `blockBytes`-aligned blocks that hold stored data; blocks no run
   * touches (holes, zeros) are not produced at all. Each block is built on a worker thread from
   * the sealed chunks under it, read from the packs in as few reads as they allow; several
   * blocks are read and built ahead in disk order while the caller writes. Chunks bypass the
   * blob cache: a full restore reads each once. Memory stays bounded by STREAM_AHEAD_BLOCKS
   * blocks plus their sealed bytes. With `window`, only the blocks that hold data of
   * [window.start, window.end) are produced (a partition's): they are still disk-aligned and may
   * hold bytes outside the window, which the caller clips.
   */
  async *dataBlocks(
    blockBytes: number,
    signal?: AbortSignal,
    window: { start: number; end: number } = { start: 0, end: this.size },
  ): AsyncGenerator<DiskBlock> {
    // A run (at most one chunk, ≤ 4 MiB) must fit in the block after the one it starts in.
    if (!Number.isSafeInteger(blockBytes) || blockBytes < 4 * 1024 * 1024 || blockBytes % 65536)
      throw new HyperkeepError('INTERNAL', `Invalid block size ${blockBytes}`);
    if (!(window.start >= 0 && window.start <= window.end && window.end <= this.size))
      throw new HyperkeepError('INTERNAL', `Invalid window ${window.start}..${window.end}`);
    const runs = this.map.runs;
    const spare: ArrayBuffer[] = [];
    let nextRun = firstRunEndingAfter(runs, window.start);
    let previousEnd = 0;
    let overflowEnd = 0;
    /**
     * The next block holding data, with the runs that start in it; the part of its last run
     * past its end (the overflow) lands at the start of the block after it, which is therefore
     * the next block. Each run is read and opened once.
     */
    const planNext = (): BlockPlan | null => {
      let offset: number;
      const carried = overflowEnd > previousEnd;
      if (carried) offset = previousEnd;
      else {
        const first = runs[nextRun];
        if (!first || first.offset >= window.end) return null;
        // The block where that run starts, even if it starts before the window: a run is built
        // whole (its part past a block's end is carried into the next one).
        offset = first.offset - (first.offset % blockBytes);
      }
      const end = Math.min(this.size, offset + blockBytes);
      const planned: DiskRun[] = [];
      let reach = end;
      // Bounded: each iteration places one run.
      while (nextRun < runs.length && runs[nextRun]!.offset < Math.min(end, window.end)) {
        const r = runs[nextRun++]!;
        planned.push(r);
        reach = Math.max(reach, r.offset + r.length);
      }
      previousEnd = end;
      overflowEnd = reach;
      return { offset, length: end - offset, runs: planned, overflow: reach - end, carried };
    };
    const build = async (plan: BlockPlan): Promise<BuiltBlock> => {
      const reuse = spare.pop();
      return { plan, ...(await this.buildBlock(plan, reuse)) };
    };
    const ahead: Promise<BuiltBlock>[] = [];
    const fill = () => {
      // Bounded: each iteration plans one block.
      while (ahead.length < STREAM_AHEAD_BLOCKS) {
        const plan = planNext();
        if (!plan) return;
        const pending = build(plan);
        pending.catch(() => undefined); // awaited in order below; an abandoned one must not be unhandled
        ahead.push(pending);
      }
    };
    fill();
    let carry: Uint8Array = new Uint8Array(0);
    // Bounded: each iteration yields one planned block.
    while (ahead.length > 0) {
      if (signal?.aborted) throw signal.reason;
      const { plan, data, overflow } = await ahead.shift()!;
      fill();
      if (plan.carried) data.set(carry, 0);
      carry = overflow;
      yield {
        offset: plan.offset,
        data,
        release: () => {
          if (spare.length < SPARE_BLOCKS && data.buffer.byteLength === blockBytes)
            spare.push(data.buffer as ArrayBuffer);
        },
      };
    }
  }

  /** Reads the sealed chunks under a block's runs (adjacent ones in one read) and builds it. */
  private async buildBlock(
    plan: BlockPlan,
    reuse: ArrayBuffer | undefined,
  ): Promise<{ data: Uint8Array; overflow: Uint8Array }> {
    const index = new Map<string, number>();
    for (const r of plan.runs) if (!index.has(r.chunk)) index.set(r.chunk, index.size);
    const locs = await Promise.all([...index.keys()].map((id) => this.blobs.locate(id)));
    // Adjacent chunks of one pack (a backup writes them in disk order) are read in one go.
    const order = locs
      .map((_, i) => i)
      .sort((a, b) => {
        const x = locs[a]!;
        const y = locs[b]!;
        return x.pack < y.pack ? -1 : x.pack > y.pack ? 1 : x.offset - y.offset;
      });
    const reads: { pack: string; offset: number; length: number; chunk: string }[] = [];
    const chunks: AssembleChunk[] = new Array<AssembleChunk>(locs.length);
    for (const i of order) {
      const loc = locs[i]!;
      const last = reads[reads.length - 1];
      if (
        last &&
        last.pack === loc.pack &&
        last.offset + last.length === loc.offset &&
        last.length + loc.length <= MAX_READ_BYTES
      )
        last.length += loc.length;
      else reads.push({ pack: loc.pack, offset: loc.offset, length: loc.length, chunk: loc.id });
      const read = reads[reads.length - 1]!;
      chunks[i] = {
        id: loc.id,
        span: reads.length - 1,
        offset: loc.offset - read.offset,
        length: loc.length,
        rawLength: loc.rawLength,
      };
    }
    const spans = await Promise.all(
      reads.map((r) => this.blobs.readSealed(r.pack, r.offset, r.length, r.chunk)),
    );
    const pieces = plan.runs.map((r) => ({
      chunk: index.get(r.chunk)!,
      from: r.chunkOffset,
      length: r.length,
      at: r.offset - plan.offset,
    }));
    return this.blobs.assemble(
      {
        length: plan.length,
        overflow: plan.overflow,
        spans,
        chunks,
        pieces,
        ...(reuse ? { reuse } : {}),
      },
      locs,
    );
  }

  /** Copies the part of run `r` inside [offset, end) from its chunk into `out` (at offset 0). */
  private copyRun(r: DiskRun, data: Uint8Array, out: Uint8Array, offset: number, end: number) {
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

  async close(): Promise<void> {
    this.onClose();
    // Chunks in the repository-wide cache stay there for the next reader.
    if (!this.own) return;
    this.own.clear();
    this.ownBytes = 0;
    await this.blobs.stopIdleWorkers();
  }
}

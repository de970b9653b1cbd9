import { HyperkeepError } from '../../../shared/errors';
import type { ChunkStore } from './chunk-store';
import {
  clipRanges,
  clipRuns,
  mergeRanges,
  type ByteRange,
  type DiskMap,
  type DiskRun,
} from './disk-map';
import { toHex } from './binary';
import { SEGMENT_BYTES, type HeldSegment } from './data-worker-pool';
import { BlobType } from './pack-format';
import type { RepositoryCore } from './repository-core';

type Coverage = ByteRange & { how: 'data' | 'hole' | 'copy' };

/**
 * A segment being gathered: its disk offset, its buffer, how much of it this segment may use,
 * how much is written, and how much placeFor has promised to readers (≥ fill).
 */
interface Segment {
  offset: number;
  data: Uint8Array;
  capacity: number;
  fill: number;
  reserved: number;
}

/** Totals of one disk for its manifest entry. */
export interface DiskTotals {
  allocatedBytes: number;
  dataBytes: number;
  chunkCount: number;
}

/**
 * Receives one disk of a restore point. Calls for one disk are sequential (await each); disks of
 * one point may be written concurrently. Data is gathered into segments (contiguous bytes within
 * one SEGMENT_BYTES-aligned window) that the worker pool chunks, hashes and seals in parallel. Every byte of the disk must end up written, marked as a
 * hole, or copied from a parent point: commit refuses a disk with gaps, because a gap would
 * silently restore as zeros.
 */
export class DiskWriter {
  private readonly runs: DiskRun[] = [];
  private readonly coverage: Coverage[] = [];
  private readonly allocated: ByteRange[] = [];
  /** The segment being filled. */
  private segment: Segment | null = null;
  /** Segments placeFor started for reads still on their way, in disk order. */
  private readonly ahead: Segment[] = [];
  /** Segments being chunked and sealed; finish waits for them. */
  private readonly working = new Set<Promise<void>>();
  private busy = false;
  private dataBytes = 0;
  private storedBytes = 0;
  /** Parent disk maps by point id: an incremental copies many ranges from the same one. */
  private readonly parentMaps = new Map<string, Promise<DiskMap>>();

  constructor(
    readonly name: string,
    readonly sizeBytes: number,
    private readonly core: RepositoryCore,
    private readonly store: ChunkStore,
    private readonly assertOpen: () => void,
  ) {}

  /**
   * Stores allocated data at `offset`. Consecutive calls that continue each other form one stream
   * for content-defined chunking (up to the next segment boundary), so read sizes do not change
   * chunk boundaries. All-zero chunks are recorded as holes. `data` may be reused by the caller
   * once the promise resolves: it is copied into the segment.
   */
  async writeExtent(offset: number, data: Uint8Array): Promise<void> {
    await this.exclusive(async () => {
      this.checkRange(offset, data.length, 'write');
      if (data.length === 0) return;
      this.cover({ offset, length: data.length, how: 'data' });
      this.allocated.push({ offset, length: data.length });
      let pos = 0;
      // Bounded: each pass copies at least one byte (a segment never ends before its window).
      while (pos < data.length) {
        const at = offset + pos;
        let seg = this.segment;
        if (!seg || seg.offset + seg.fill !== at) {
          await this.dispatchSegment();
          seg = this.takeAhead(at) ?? this.newSegment(at);
          this.segment = seg;
        }
        const n = Math.min(seg.capacity - seg.fill, data.length - pos);
        // A read that placeFor placed is already where it belongs.
        const inPlace =
          data.buffer === seg.data.buffer &&
          data.byteOffset + pos === seg.data.byteOffset + seg.fill;
        if (!inPlace) seg.data.set(data.subarray(pos, pos + n), seg.fill);
        seg.fill += n;
        seg.reserved = Math.max(seg.reserved, seg.fill);
        pos += n;
        if (seg.fill === seg.capacity) await this.dispatchSegment();
      }
    });
  }

  /**
   * Where the data for [offset, offset + length) will sit if the writes arrive in the order of
   * these calls: a reader that reads into this view saves writeExtent a copy of every byte. Call
   * in disk order, once per read. Undefined when a range would cross a segment window (the
   * reader then uses its own buffer, which writeExtent copies).
   */
  placeFor(offset: number, length: number): Uint8Array | undefined {
    this.assertOpen();
    const windowEnd = (Math.floor(offset / SEGMENT_BYTES) + 1) * SEGMENT_BYTES;
    if (length <= 0 || offset + length > Math.min(windowEnd, this.sizeBytes)) return undefined;
    let seg = this.ahead[this.ahead.length - 1] ?? this.segment;
    if (
      !seg ||
      seg.offset + seg.reserved !== offset ||
      offset + length > seg.offset + seg.capacity
    ) {
      seg = this.newSegment(offset);
      this.ahead.push(seg);
    }
    const start = offset - seg.offset;
    seg.reserved += length;
    return seg.data.subarray(start, start + length);
  }

  /** Drops the segment buffers of an abandoned disk (reads may still land in them: never reused). */
  abandon(): void {
    for (const seg of [this.segment, ...this.ahead.splice(0)]) {
      if (seg) this.core.pool.discardSegmentBuffer(seg.data);
    }
    this.segment = null;
  }

  private newSegment(at: number): Segment {
    const windowEnd = (Math.floor(at / SEGMENT_BYTES) + 1) * SEGMENT_BYTES;
    const capacity = Math.min(windowEnd, this.sizeBytes) - at;
    return { offset: at, data: this.core.pool.segmentBuffer(), capacity, fill: 0, reserved: 0 };
  }

  /** The segment placeFor started at `at`; any placed before it were not written after all. */
  private takeAhead(at: number): Segment | undefined {
    // Bounded: each pass removes one segment.
    while (this.ahead.length > 0 && this.ahead[0]!.offset < at) {
      this.core.pool.discardSegmentBuffer(this.ahead.shift()!.data);
    }
    return this.ahead[0]?.offset === at ? this.ahead.shift() : undefined;
  }

  /** Declares a range unallocated (reads as zeros, stores nothing). */
  markHole(offset: number, length: number): void {
    this.assertOpen();
    this.checkRange(offset, length, 'mark as hole');
    if (length > 0) this.cover({ offset, length, how: 'hole' });
  }

  /**
   * Incremental backup: the range is unchanged since `parentPointId`, so reuse that point's chunk
   * references (and allocation map) without reading or storing any data.
   */
  async copyExtentFrom(
    parentPointId: string,
    offset: number,
    length: number,
    parentDisk = this.name,
  ): Promise<void> {
    await this.exclusive(async () => {
      this.checkRange(offset, length, 'copy');
      if (length === 0) return;
      const parent = await this.parentMap(parentPointId, parentDisk);
      if (offset + length > parent.sizeBytes) {
        throw new HyperkeepError(
          'INVALID_INPUT',
          `Cannot copy bytes ${offset}–${offset + length} of disk ${parentDisk} from point ${parentPointId}: that disk has only ${parent.sizeBytes} bytes`,
        );
      }
      const runs = clipRuns(parent.runs, offset, offset + length);
      let missing = runs.filter((r) => !this.store.has(r.chunk));
      if (missing.length > 0) {
        // The parent may have been committed by another process after this backup started.
        const index = await this.core.refreshIndex();
        missing = missing.filter((r) => !index.has(r.chunk));
      }
      const lost = missing[0];
      if (lost) {
        throw new HyperkeepError(
          'NOT_FOUND',
          `Point ${parentPointId} refers to chunk ${lost.chunk.slice(0, 16)}…, which the repository no longer has: run verify, then take a full backup`,
          { reason: 'CORRUPT', chunk: lost.chunk, point: parentPointId },
        );
      }
      this.cover({ offset, length, how: 'copy' });
      // A loop, not push(...runs): a whole-disk copy can exceed the engine's argument limit.
      for (const r of runs) {
        this.runs.push(r);
        this.dataBytes += r.length;
      }
      for (const a of clipRanges(parent.allocated, offset, offset + length)) this.allocated.push(a);
    });
  }

  /** Bytes of chunks this disk added that the repository did not have (before compression). */
  get newBytes(): number {
    return this.storedBytes;
  }

  private parentMap(pointId: string, disk: string): Promise<DiskMap> {
    const key = `${pointId}/${disk}`;
    let map = this.parentMaps.get(key);
    if (!map) {
      map = this.core.loadDiskMap(pointId, disk);
      // A failed load is not cached: the next copy tries again and reports its own error.
      map.catch(() => this.parentMaps.delete(key));
      this.parentMaps.set(key, map);
    }
    return map;
  }

  /** Ends the chunking stream and checks coverage; returns the disk map to store. */
  async finish(): Promise<{ map: DiskMap; totals: DiskTotals }> {
    await this.exclusive(() => this.dispatchSegment(), false);
    // Places no write came for (finish follows the last read; nothing writes into them now).
    for (const seg of this.ahead.splice(0)) this.core.pool.discardSegmentBuffer(seg.data);
    // Bounded: no segment is dispatched any more, so the set only shrinks.
    while (this.working.size > 0) await Promise.all([...this.working]);
    const sorted = [...this.coverage].sort((a, b) => a.offset - b.offset);
    let pos = 0;
    for (const c of sorted) {
      if (c.offset < pos) {
        throw new HyperkeepError(
          'INVALID_INPUT',
          `Disk ${this.name}: bytes ${c.offset}–${Math.min(pos, c.offset + c.length)} were given twice (${c.how} overlaps an earlier range)`,
        );
      }
      if (c.offset > pos) throw this.gapError(pos, c.offset);
      pos = c.offset + c.length;
    }
    if (pos < this.sizeBytes) throw this.gapError(pos, this.sizeBytes);
    const runs = this.runs.sort((a, b) => a.offset - b.offset);
    const allocated = mergeRanges(this.allocated);
    const chunkCount = new Set(runs.map((r) => r.chunk)).size;
    const allocatedBytes = allocated.reduce((n, r) => n + r.length, 0);
    return {
      map: { sizeBytes: this.sizeBytes, runs, allocated },
      totals: { allocatedBytes, dataBytes: this.dataBytes, chunkCount },
    };
  }

  private gapError(from: number, to: number): HyperkeepError {
    return new HyperkeepError(
      'INVALID_INPUT',
      `Disk ${this.name}: bytes ${from}–${to} were neither written, marked as a hole, nor copied from a parent point`,
    );
  }

  /** Hands the current segment to the workers (waiting for a free slot), without waiting for it. */
  private async dispatchSegment(): Promise<void> {
    const seg = this.segment;
    this.segment = null;
    if (!seg || seg.fill === 0) return;
    const data = seg.data.subarray(0, seg.fill);
    // Places promised beyond what was written: a read may still land there, so no reuse.
    const reuse = seg.reserved === seg.fill;
    const { done: task } = await this.store.enqueue(() =>
      this.storeSegment(seg.offset, data, reuse),
    );
    this.working.add(task);
    task.then(
      () => this.working.delete(task),
      () => undefined, // kept: finish() reports the failure
    );
  }

  /** Chunks and hashes a segment on a worker, deduplicates in order, seals the new chunks. */
  private async storeSegment(offset: number, data: Uint8Array, reuse: boolean): Promise<void> {
    const pool = this.core.pool;
    const segment: HeldSegment = await pool.chunkSegment(data, reuse);
    const picks: number[] = [];
    const pickedIds: string[] = [];
    let at = offset;
    for (let i = 0; i < segment.lengths.length; i++) {
      const length = segment.lengths[i]!;
      const idBytes = segment.ids[i];
      if (idBytes) {
        const id = toHex(idBytes);
        this.runs.push({ offset: at, length, chunk: id, chunkOffset: 0 });
        this.dataBytes += length;
        if (this.store.claim(id)) {
          picks.push(i);
          pickedIds.push(id);
          this.storedBytes += length;
        }
      }
      at += length;
    }
    const sealed = await pool.sealHeld(segment, picks);
    for (let k = 0; k < picks.length; k++) {
      await this.store.appendSealed(
        pickedIds[k]!,
        BlobType.Data,
        sealed[k]!,
        segment.lengths[picks[k]!]!,
      );
    }
  }

  private cover(c: Coverage): void {
    const last = this.coverage[this.coverage.length - 1];
    if (last && last.how === c.how && last.offset + last.length === c.offset)
      last.length += c.length;
    else this.coverage.push(c);
  }

  private checkRange(offset: number, length: number, what: string): void {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.sizeBytes
    ) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Cannot ${what} bytes ${offset}+${length} of disk ${this.name}: the disk has ${this.sizeBytes} bytes`,
      );
    }
  }

  private async exclusive<T>(fn: () => Promise<T>, checkOpen = true): Promise<T> {
    if (checkOpen) this.assertOpen();
    if (this.busy) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Disk ${this.name}: wait for the previous write to finish before the next one`,
      );
    }
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }
}

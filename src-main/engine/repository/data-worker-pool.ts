import { HyperkeepError } from '../../../shared/errors';
import { collectGarbage } from '../memory';
import { dataPathTimings } from './data-path-timings';
import { EvalWorker, blake3ModulePath } from './eval-worker';
import {
  cdcCut,
  gearScanWasm,
  newGearScanner,
  type CdcCutParams,
  type GearScanner,
} from './fastcdc';
import { chunkIdsOfSegment, sealPicked, type SegmentChunks } from './segment-work';
import { MAIN_THREAD_MODULES, compressAndSeal, type SealParams } from './sealing';
import { newZstdIntoState, zstdCompressInto, zstdIntoSupported } from './zstd-into';

/**
 * The CPU work of a backup on worker threads, so that the event loop stays free for I/O and IPC
 * and every core works: a worker takes a whole segment of a disk, cuts it into chunks, hashes
 * them (keyed BLAKE3), and keeps the bytes; the main thread deduplicates the ids in order and
 * asks the same worker to compress and seal only the new chunks.
 *
 * Workers (EvalWorker) start from source text built from the self-contained functions cdcCut,
 * chunkIdsOfSegment, sealPicked and compressAndSeal. The native BLAKE3 module is loaded in each
 * worker by its resolved path.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const mods = { zlib: require('node:zlib'), crypto: require('node:crypto'), blake3: require(workerData.blake3Path) };
const seal = { encrypt: workerData.encrypt, key: new Uint8Array(workerData.key), level: workerData.level };
const idKey = Buffer.from(workerData.idKey);
const cdc = workerData.cdc;
const cdcCut = (${cdcCut.toString()});
let scanner = null;
try {
  scanner = (${newGearScanner.toString()})(cdc.gear, workerData.gearScanWasm);
} catch {}
const compressAndSeal = (${compressAndSeal.toString()});
const chunkIdsOfSegment = (${chunkIdsOfSegment.toString()});
const sealPicked = (${sealPicked.toString()});
const zstdCompressInto = (${zstdCompressInto.toString()});
const zstdState = (${newZstdIntoState.toString()})();
if ((${zstdIntoSupported.toString()})(mods.zlib))
  mods.compressInto = (data, level, limit) => zstdCompressInto(mods.zlib, zstdState, data, level, limit);
const held = new Map();
const segments = new Map();
let collectGarbage = null;
try {
  require('node:v8').setFlagsFromString('--expose-gc');
  collectGarbage = require('node:vm').runInNewContext('gc');
} catch {}
parentPort.on('message', (m) => {
  try {
    if (m.op === 'seal') {
      const t = { compressMs: 0, encryptMs: 0 };
      const params = m.level === undefined ? seal : { ...seal, level: m.level };
      const out = compressAndSeal(mods, params, new Uint8Array(m.aad), new Uint8Array(m.data), t);
      const buf = new Uint8Array(out).buffer;
      parentPort.postMessage({ seq: m.seq, blobs: [buf], c: t.compressMs, e: t.encryptMs }, [buf]);
    } else if (m.op === 'chunk') {
      if (m.shared) segments.set(m.segment, m.shared);
      const shared = segments.get(m.segment);
      if (!shared) throw new Error('segment buffer ' + m.segment + ' was never shared with this worker');
      const data = new Uint8Array(shared, 0, m.length);
      const result = chunkIdsOfSegment(mods, cdcCut, cdc, idKey, data, scanner);
      held.set(m.seq, { data, result });
      parentPort.postMessage({ seq: m.seq, lengths: result.lengths, ids: result.ids, k: result.chunkMs, h: result.hashMs });
    } else if (m.op === 'forget') {
      segments.delete(m.segment);
      // An idle thread may not collect for minutes, and the 16 MiB buffer lives until it does.
      // 'last-resort' also shrinks the heap: the backup grew it, nothing will use it soon.
      if (segments.size === 0 && held.size === 0 && typeof collectGarbage === 'function')
        collectGarbage({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      parentPort.postMessage({ seq: m.seq });
    } else if (m.op === 'sealHeld') {
      const segment = held.get(m.ref);
      held.delete(m.ref);
      if (!segment) throw new Error('segment ' + m.ref + ' is not held by this worker');
      const t = { compressMs: 0, encryptMs: 0 };
      const blobs = sealPicked(mods, compressAndSeal, seal, segment.data, segment.result, m.picks, t);
      parentPort.postMessage({ seq: m.seq, blobs, c: t.compressMs, e: t.encryptMs }, blobs);
    }
  } catch (err) {
    if (m.op === 'sealHeld') held.delete(m.ref);
    parentPort.postMessage({ seq: m.seq, error: String((err && err.message) || err) });
  }
});
`;

/**
 * Content-defined chunking restarts at every multiple of this many bytes of a disk, so that
 * segments are independent units of work for the workers. The boundaries are disk offsets, not
 * read sizes: the same disk gives the same chunks whatever the reader does.
 */
export const SEGMENT_BYTES = 16 * 1024 * 1024;

/** The repository secrets and parameters a worker needs. */
export interface DataWorkerParams {
  seal: SealParams;
  idKey: Uint8Array;
  cdc: CdcCutParams;
}

/** A segment cut and hashed by one worker, which keeps its bytes until sealHeld. */
export interface HeldSegment {
  readonly worker: number;
  readonly ref: number;
  /** The pool's segment buffer it lives in, free again after sealHeld. */
  readonly buffer: SharedArrayBuffer;
  /** False when something may still write into the buffer: dropped after sealHeld, not reused. */
  readonly reuse: boolean;
  /** Chunk lengths in order; ids[i] is null for an all-zero chunk. */
  readonly lengths: number[];
  readonly ids: (Uint8Array | null)[];
}

interface Reply {
  seq: number;
  error?: string;
  lengths?: number[];
  ids?: (Uint8Array | null)[];
  blobs?: ArrayBuffer[];
  k?: number;
  h?: number;
  c?: number;
  e?: number;
}

/** How long the pool stays idle before it lets go of its recycled segment buffers. */
const IDLE_TRIM_MS = 1000;

/** Chunking, hashing, compression and encryption of backup data. `size` 0 runs on the caller. */
export class DataWorkerPool {
  private readonly workers: EvalWorker<Reply>[] = [];
  private seq = 0;
  private closed = false;
  private next = 0;
  /** Segments held on the calling thread when size is 0. */
  private readonly local = new Map<number, { data: Uint8Array; result: SegmentChunks }>();
  /**
   * Segment buffers are shared with the workers, not transferred, and reused. Why: every
   * transfer registers the buffer anew as external memory of the receiving thread, and V8 starts
   * a full GC for each ~64 MiB of that. Transferring 16 MiB segments both ways made the main
   * thread collect about every 100 ms of a backup (≈3 s of GC in a 10 s backup).
   */
  private readonly free: SharedArrayBuffer[] = [];
  private readonly segmentIds = new WeakMap<SharedArrayBuffer, number>();
  /** Per worker, the segment buffers it has already been sent. */
  private readonly shared: Set<number>[] = [];
  /** Worker calls under way; when none is for IDLE_TRIM_MS, the free buffers are let go. */
  private busy = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The WebAssembly chunking loop, when size is 0 (each worker has its own). */
  private scanner: GearScanner | undefined;

  /** Threads start on first use: a process that only restores or browses never pays for them. */
  constructor(
    private readonly params: DataWorkerParams,
    readonly size: number,
  ) {}

  private started(): EvalWorker<Reply>[] {
    while (this.workers.length < this.size) this.workers.push(this.spawn());
    return this.workers;
  }

  private spawn(): EvalWorker<Reply> {
    return new EvalWorker<Reply>({
      source: WORKER_SOURCE,
      workerData: {
        encrypt: this.params.seal.encrypt,
        key: Uint8Array.from(this.params.seal.key),
        level: this.params.seal.level,
        idKey: Uint8Array.from(this.params.idKey),
        cdc: this.params.cdc,
        blake3Path: blake3ModulePath() ?? '@napi-rs/blake-hash',
        gearScanWasm: gearScanWasm(),
      },
      name: 'hyperkeep-data',
      replyError: (m) =>
        m.error === undefined
          ? null
          : new HyperkeepError('INTERNAL', `Processing backup data failed: ${m.error}`),
      gone: (cause) =>
        new HyperkeepError(
          'INTERNAL',
          'error' in cause
            ? `A backup worker thread failed: ${cause.error.message}`
            : `A backup worker thread exited with code ${cause.exitCode}`,
        ),
    });
  }

  private call(index: number, message: object, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.closed)
      return Promise.reject(new HyperkeepError('INTERNAL', 'The backup worker pool is closed'));
    this.busy++;
    clearTimeout(this.idleTimer);
    const done = (): void => {
      if (--this.busy === 0 && !this.closed) {
        this.idleTimer = setTimeout(() => void this.trim({ collect: true }), IDLE_TRIM_MS);
        this.idleTimer.unref();
      }
    };
    const reply = this.started()[index]!.call(message, transfer);
    reply.then(done, done);
    return reply;
  }

  /**
   * Lets go of the recycled segment buffers (called once the pool has been idle for IDLE_TRIM_MS,
   * and when a point commits): they are 16 MiB each (128 MiB with two workers), worth keeping
   * between the segments of a backup, not through the cataloging phase after it or an idle
   * engine. Does nothing while other work is under way; held segments are untouched.
   */
  async trim({ collect = false } = {}): Promise<void> {
    if (this.busy > 0 || this.closed || this.free.length === 0) return;
    const forgotten = this.free.splice(0).flatMap((buffer) => this.discard(buffer));
    await Promise.allSettled(forgotten);
    // This thread's views of them are garbage too, but an idle thread does not collect. After a
    // commit the cataloging phase soon does; a collection there would stall the backup's end.
    if (collect && this.busy === 0) collectGarbage();
  }

  /** A buffer of SEGMENT_BYTES to fill with a segment (a recycled one when available). */
  segmentBuffer(): Uint8Array {
    let buffer = this.free.pop();
    if (!buffer) {
      buffer = new SharedArrayBuffer(SEGMENT_BYTES);
      this.segmentIds.set(buffer, this.seq++);
    }
    return new Uint8Array(buffer);
  }

  private recycle(buffer: SharedArrayBuffer): void {
    // Enough for every segment in flight; more would only hold memory.
    if (this.free.length < 2 + this.size * 3) this.free.push(buffer);
    else this.discard(buffer);
  }

  /**
   * Gives up a buffer from segmentBuffer that will not be passed to chunkSegment, without reuse
   * (something may still write into it, e.g. an abandoned read).
   */
  discardSegmentBuffer(view: Uint8Array): void {
    if (view.buffer instanceof SharedArrayBuffer && this.segmentIds.has(view.buffer)) {
      this.discard(view.buffer);
    }
  }

  /** Drops a buffer; resolves once every worker that was sent it has let go of it too. */
  private discard(buffer: SharedArrayBuffer): Promise<unknown>[] {
    // The workers that were sent it must let go of it too, or it would never be freed.
    const segment = this.segmentIds.get(buffer)!;
    const forgets: Promise<unknown>[] = [];
    this.shared.forEach((sent, index) => {
      if (sent.delete(segment)) {
        forgets.push(this.call(index, { op: 'forget', segment }, []).catch(() => undefined));
      }
    });
    return forgets;
  }

  /**
   * Cuts `data` (one complete chunking stream, at the start of a buffer from segmentBuffer; any
   * other buffer is copied into one) into chunks and hashes them. The segment stays held until
   * sealHeld: the caller must not write to its buffer meanwhile. `reuse` false: the buffer
   * must not be handed out again afterwards (a read may still land beyond `data`).
   */
  async chunkSegment(data: Uint8Array, reuse = true): Promise<HeldSegment> {
    const ours =
      data.buffer instanceof SharedArrayBuffer &&
      data.byteOffset === 0 &&
      this.segmentIds.has(data.buffer);
    const own = ours ? data : this.segmentBuffer().subarray(0, data.length);
    if (!ours) own.set(data);
    const buffer = own.buffer as SharedArrayBuffer;
    if (this.size === 0) {
      const ref = this.seq++;
      const mods = { ...MAIN_THREAD_MODULES, blake3: await import('@napi-rs/blake-hash') };
      this.scanner ??= newGearScanner(this.params.cdc.gear, gearScanWasm());
      const { cdc, idKey } = this.params;
      const result = chunkIdsOfSegment(mods, cdcCut, cdc, idKey, own, this.scanner);
      dataPathTimings.chunkMs += result.chunkMs;
      dataPathTimings.hashMs += result.hashMs;
      this.local.set(ref, { data: own, result });
      return { worker: -1, ref, buffer, reuse, lengths: result.lengths, ids: result.ids };
    }
    // Round robin: segments are equal-sized, so this spreads the work evenly.
    const index = this.next++ % this.size;
    const segment = this.segmentIds.get(buffer)!;
    const sent = (this.shared[index] ??= new Set());
    const first = !sent.has(segment);
    sent.add(segment);
    const reply = await this.call(
      index,
      { op: 'chunk', segment, length: own.length, ...(first ? { shared: buffer } : {}) },
      [],
    );
    dataPathTimings.chunkMs += reply.k ?? 0;
    dataPathTimings.hashMs += reply.h ?? 0;
    return {
      worker: index,
      ref: reply.seq,
      buffer,
      reuse,
      lengths: reply.lengths!,
      ids: reply.ids!,
    };
  }

  /**
   * Compresses and seals the chunks of a held segment at `picks` (indexes into its chunk list)
   * and releases the segment. Must be called once per segment, with no picks to just release it.
   */
  async sealHeld(segment: HeldSegment, picks: number[]): Promise<Uint8Array[]> {
    if (segment.worker < 0) {
      const held = this.local.get(segment.ref);
      this.local.delete(segment.ref);
      if (!held) throw new HyperkeepError('INTERNAL', `Segment ${segment.ref} is not held`);
      const blobs = sealPicked(
        MAIN_THREAD_MODULES,
        compressAndSeal,
        this.params.seal,
        held.data,
        held.result,
        picks,
        dataPathTimings,
      );
      if (segment.reuse) this.recycle(segment.buffer);
      else this.discard(segment.buffer);
      return blobs.map((b) => new Uint8Array(b));
    }
    let reply: Reply;
    try {
      reply = await this.call(segment.worker, { op: 'sealHeld', ref: segment.ref, picks }, []);
    } finally {
      if (segment.reuse) this.recycle(segment.buffer);
      else this.discard(segment.buffer);
    }
    dataPathTimings.compressMs += reply.c ?? 0;
    dataPathTimings.encryptMs += reply.e ?? 0;
    return reply.blobs!.map((b) => new Uint8Array(b));
  }

  /**
   * Seals one blob (metadata such as disk maps): compress if worthwhile (at `level`, default
   * the repository's), encrypt or MAC.
   */
  async seal(aad: Uint8Array, data: Uint8Array, level?: number): Promise<Uint8Array> {
    if (this.size === 0) {
      const params = level === undefined ? this.params.seal : { ...this.params.seal, level };
      return compressAndSeal(MAIN_THREAD_MODULES, params, aad, data, dataPathTimings);
    }
    const index = this.next++ % this.size;
    const copy = Uint8Array.from(data).buffer;
    const aadCopy = Uint8Array.from(aad).buffer;
    const message = {
      op: 'seal',
      aad: aadCopy,
      data: copy,
      ...(level === undefined ? {} : { level }),
    };
    const reply = await this.call(index, message, [copy, aadCopy]);
    dataPathTimings.compressMs += reply.c ?? 0;
    dataPathTimings.encryptMs += reply.e ?? 0;
    return new Uint8Array(reply.blobs![0]!);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.local.clear();
    this.free.length = 0;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

import * as nodeCrypto from 'node:crypto';
import { availableParallelism } from 'node:os';
import * as nodeZlib from 'node:zlib';
import { HyperkeepError } from '../../../shared/errors';
import { EvalWorker, blake3ModulePath } from './eval-worker';
import {
  assembleBlock,
  openSealedChunk,
  type AssembleJob,
  type OpenModules,
  type OpenParams,
} from './open-sealed-chunk';

/**
 * The worker: opens chunks and, when the BLAKE3 module loads there, hashes them too, so the
 * event loop only moves buffers. Results go back as transferred buffers (no copy); a view into
 * a larger buffer is sent with its offset rather than copied.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const mods = { zlib: process.getBuiltinModule('node:zlib'), crypto: process.getBuiltinModule('node:crypto') };
const params = { encrypt: workerData.encrypt, key: mods.crypto.createSecretKey(new Uint8Array(workerData.key)) };
const idKey = Buffer.from(workerData.idKey);
let Blake3Hasher = null;
try {
  if (workerData.blake3Path)
    Blake3Hasher = process.getBuiltinModule('node:module').createRequire(workerData.blake3Path)(workerData.blake3Path).Blake3Hasher;
} catch {}
// zstd straight into a caller's buffer through the decompressor's handle (what zstdDecompressSync
// drives internally), kept per thread; absent on a Node without it, then chunks are allocated.
// After an error the decompressor is dropped: its context stays failed.
let zstd = null;
let zstdError = null;
const sealError = (message) => Object.assign(new Error(message), { name: 'SealError' });
const zstdInto = (input, out) => {
  if (!zstd) {
    zstd = new mods.zlib.ZstdDecompress();
    zstd._handle.onerror = (message) => { zstdError = message; };
  }
  zstdError = null;
  zstd._handle.writeSync(mods.zlib.constants.ZSTD_e_end, input, 0, input.length, out, 0, out.length);
  const outLeft = zstd._writeState[0];
  const inLeft = zstd._writeState[1];
  if (zstdError !== null) {
    const why = zstdError;
    zstd.close();
    zstd = null;
    throw sealError('zstd data is damaged (' + why + ')');
  }
  zstd._handle.reset();
  if (inLeft !== 0) throw sealError('zstd data is longer than its chunk');
  return out.length - outLeft;
};
try {
  const probe = new mods.zlib.ZstdDecompress();
  if (typeof probe._handle?.writeSync === 'function' && probe._writeState instanceof Uint32Array && typeof mods.zlib.constants.ZSTD_e_end === 'number')
    mods.zstdInto = zstdInto;
  probe.close();
} catch {}
const openSealedChunk = (${openSealedChunk.toString()});
const assembleBlock = (${assembleBlock.toString()});
const hash = (data) => {
  if (!Blake3Hasher) throw new Error('the BLAKE3 module could not be loaded in a worker thread');
  return Blake3Hasher.newKeyed(idKey).update(data).digestBuffer();
};
parentPort.on('message', (m) => {
  if (m.kind === 'assemble') {
    try {
      const reused = !!m.reuse && m.reuse.byteLength === m.length;
      const out = reused ? new Uint8Array(m.reuse) : new Uint8Array(m.length);
      const overflow = new Uint8Array(m.overflow);
      const job = { length: m.length, overflow: m.overflow, spans: m.spans.map((b) => new Uint8Array(b)), chunks: m.chunks, pieces: m.pieces };
      assembleBlock(openSealedChunk, mods, params, hash, job, out, overflow, reused);
      // The pack bytes are spent: free them now rather than at a collection (release-buffer.ts).
      for (const span of job.spans)
        if (span.byteLength >= 65536 && span.byteLength === span.buffer.byteLength) span.buffer.transfer(0);
      parentPort.postMessage({ seq: m.seq, buf: out.buffer, overflow: overflow.buffer }, [out.buffer, overflow.buffer]);
    } catch (err) {
      parentPort.postMessage({ seq: m.seq, error: String((err && err.message) || err), damaged: !!err && err.name === 'SealError', chunk: err && err.chunk });
    }
    return;
  }
  try {
    let out = openSealedChunk(mods, params, new Uint8Array(m.aad), new Uint8Array(m.sealed), m.max);
    const digest = Blake3Hasher ? Blake3Hasher.newKeyed(idKey).update(out).digestBuffer() : null;
    if (out.length < 65536 && out.byteLength !== out.buffer.byteLength) out = new Uint8Array(out);
    const hashBuf = digest ? new Uint8Array(digest).buffer : null;
    parentPort.postMessage(
      { seq: m.seq, buf: out.buffer, offset: out.byteOffset, length: out.length, hash: hashBuf },
      hashBuf ? [out.buffer, hashBuf] : [out.buffer],
    );
  } catch (err) {
    parentPort.postMessage({ seq: m.seq, error: String((err && err.message) || err), damaged: !!err && err.name === 'SealError' });
  }
});
`;

/** A chunk that failed to open: damaged, altered or misplaced in its pack. */
export class ChunkOpenError extends Error {
  constructor(
    message: string,
    /** For assemble: the index of the bad chunk in the job's `chunks`. */
    readonly chunk?: number,
  ) {
    super(message);
  }
}

export interface OpenedChunk {
  data: Uint8Array;
  /** The keyed BLAKE3 id of `data` when the worker computed it; null means hash it here. */
  id: Uint8Array | null;
}

/** A worker's answer: the result buffer (a view of `buf`), or why it failed. */
interface Reply {
  seq: number;
  buf?: ArrayBuffer;
  offset?: number;
  length?: number;
  /** open: the chunk's keyed BLAKE3 hash, when the worker could compute it. */
  hash?: ArrayBuffer | null;
  /** assemble: the bytes past the block's end. */
  overflow?: ArrayBuffer;
  error?: string;
  damaged?: boolean;
  chunk?: number;
}

/** Idle workers end after this long; the next read starts them again (~30 ms). */
const IDLE_MS = 30_000;
/**
 * Chunks opened on the calling thread before workers start: a single-file restore or a folder
 * listing needs a handful, and starting threads would cost it more (tens of ms each, more on
 * a loaded machine) than decoding them here.
 */
const INLINE_CHUNKS = 8;
const MAIN_MODULES: OpenModules = { zlib: nodeZlib, crypto: nodeCrypto };

/** The whole ArrayBuffer of `data`, copied only when `data` is a view into a larger one. */
function ownBuffer(data: Uint8Array): ArrayBuffer {
  const owned =
    data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
      ? data
      : new Uint8Array(data);
  return owned.buffer as ArrayBuffer;
}

/**
 * The read side's worker threads: decryption, zstd decompression, hashing and block assembly
 * off the event loop, so a restore decodes on other cores while the main thread reads packs and
 * writes. One core is left to the main thread and the file system's I/O threads (they are busy
 * during a restore too). Each worker isolate holds its own garbage (up to V8's 64 MiB
 * external-memory step) before collecting it: on 2 cores a second worker measured ~10% faster
 * but ~90 MB more peak RSS, too close to the 500 MB budget. Workers start when a restore needs
 * them and stop when idle, so browsing and single files cost no threads.
 */
export class OpenWorkerPool {
  private readonly workers: EvalWorker<Reply>[] = [];
  private opened = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly blake3 = blake3ModulePath();

  private readonly params: OpenParams;

  constructor(
    private readonly key: { encrypt: boolean; key: Uint8Array },
    private readonly idKey: Uint8Array,
    readonly size: number = Math.max(1, Math.min(4, availableParallelism() - 1)),
  ) {
    this.params = { encrypt: key.encrypt, key: nodeCrypto.createSecretKey(key.key) };
  }

  /** Opens a sealed chunk whose AAD is `aad`; `sealed` is transferred (the caller loses it). */
  async open(aad: Uint8Array, sealed: Uint8Array, maxBytes: number): Promise<OpenedChunk> {
    if (++this.opened > INLINE_CHUNKS) this.start();
    const target = this.leastBusy(true);
    if (!target) return this.openHere(aad, sealed, maxBytes);
    const buf = ownBuffer(sealed);
    const aadBuf = Uint8Array.from(aad).buffer;
    const reply = await this.post(target, { aad: aadBuf, sealed: buf, max: maxBytes }, [
      buf,
      aadBuf,
    ]);
    return {
      data: new Uint8Array(reply.buf, reply.offset ?? 0, reply.length ?? reply.buf.byteLength),
      id: reply.hash ? new Uint8Array(reply.hash) : null,
    };
  }

  /**
   * Builds one block on a worker (assembleBlock); the job's spans and spare buffer are
   * transferred. Returns the block and its overflow (the bytes of its last piece past its end).
   */
  async assemble(job: AssembleJob): Promise<{ data: Uint8Array; overflow: Uint8Array }> {
    this.start();
    const spans = job.spans.map(ownBuffer);
    const { spans: _sent, reuse, ...rest } = job;
    const reply = await this.post(
      this.leastBusy(false)!,
      { kind: 'assemble', ...rest, spans, reuse },
      reuse ? [...spans, reuse] : spans,
    );
    return {
      data: new Uint8Array(reply.buf, 0, job.length),
      overflow: new Uint8Array(reply.overflow ?? new ArrayBuffer(0)),
    };
  }

  /** Stops the workers now when none has work (a later call starts them again). */
  async stopIfIdle(): Promise<void> {
    if (this.workers.some((w) => w.busy > 0)) return;
    await this.close();
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const all = this.workers.splice(0);
    await Promise.all(all.map((w) => w.terminate()));
  }

  private start(): void {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    while (this.workers.length < this.size) this.workers.push(this.spawn());
  }

  private leastBusy(onlineOnly: boolean): EvalWorker<Reply> | undefined {
    let target: EvalWorker<Reply> | undefined;
    for (const w of this.workers)
      if ((w.online || !onlineOnly) && (!target || w.busy < target.busy)) target = w;
    return target;
  }

  private async post(
    target: EvalWorker<Reply>,
    message: Record<string, unknown>,
    transfer: ArrayBuffer[],
  ): Promise<Reply & { buf: ArrayBuffer }> {
    try {
      return (await target.call(message, transfer)) as Reply & { buf: ArrayBuffer };
    } finally {
      this.scheduleIdleStop();
    }
  }

  private openHere(aad: Uint8Array, sealed: Uint8Array, maxBytes: number): OpenedChunk {
    try {
      return { data: openSealedChunk(MAIN_MODULES, this.params, aad, sealed, maxBytes), id: null };
    } catch (err) {
      if (err instanceof Error && err.name === 'SealError') throw new ChunkOpenError(err.message);
      throw err;
    }
  }

  private scheduleIdleStop(): void {
    if (this.idleTimer || this.workers.some((w) => w.busy > 0)) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.workers.some((w) => w.busy > 0)) return;
      void this.close();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  private spawn(): EvalWorker<Reply> {
    const worker: EvalWorker<Reply> = new EvalWorker<Reply>({
      source: WORKER_SOURCE,
      workerData: {
        encrypt: this.key.encrypt,
        key: Uint8Array.from(this.key.key),
        idKey: Uint8Array.from(this.idKey),
        blake3Path: this.blake3,
      },
      name: 'hyperkeep-open',
      replyError: (m) =>
        m.buf
          ? null
          : m.damaged
            ? new ChunkOpenError(m.error ?? 'damaged', m.chunk)
            : new HyperkeepError(
                'INTERNAL',
                `Decoding a chunk failed: ${m.error ?? 'unknown error'}`,
              ),
      // After close() nothing is pending; otherwise the thread crashed under its callers.
      gone: (cause) =>
        new HyperkeepError(
          'INTERNAL',
          'error' in cause
            ? `Chunk decoding thread failed: ${cause.error.message}`
            : `Chunk decoding thread exited with code ${cause.exitCode}`,
        ),
      onGone: () => {
        const index = this.workers.indexOf(worker);
        if (index >= 0) this.workers.splice(index, 1);
      },
    });
    return worker;
  }
}

import { Worker } from 'node:worker_threads';
import { HyperkeepError } from '../../../shared/errors';
import { dataPathTimings } from './data-path-timings';
import { MAIN_THREAD_MODULES, compressAndSeal, type SealParams } from './sealing';

/**
 * Compression and encryption of chunks on worker threads, so that the event loop stays free for
 * I/O and IPC during a backup. The worker is started from source text (eval) built from
 * compressAndSeal itself: no separate worker file to locate, which works the same under vitest
 * (TypeScript sources), tsx, and a bundled Electron main process.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const mods = { zlib: process.getBuiltinModule('node:zlib'), crypto: process.getBuiltinModule('node:crypto') };
const params = { encrypt: workerData.encrypt, key: new Uint8Array(workerData.key), level: workerData.level };
const compressAndSeal = (${compressAndSeal.toString()});
parentPort.on('message', (m) => {
  try {
    const t = { compressMs: 0, encryptMs: 0 };
    const out = compressAndSeal(mods, params, new Uint8Array(m.aad), new Uint8Array(m.data), t);
    const buf = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out.buffer : new Uint8Array(out).buffer;
    parentPort.postMessage({ seq: m.seq, blob: buf, c: t.compressMs, e: t.encryptMs }, [buf]);
  } catch (err) {
    parentPort.postMessage({ seq: m.seq, error: String(err && err.message || err) });
  }
});
`;

interface Pending {
  resolve: (blob: Uint8Array) => void;
  reject: (err: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** Seals chunks: compress (if worthwhile) + encrypt or MAC. `size` 0 runs on the calling thread. */
export class SealWorkerPool {
  private readonly workers: PoolWorker[] = [];
  private seq = 0;
  private closed = false;

  constructor(
    private readonly params: SealParams,
    readonly size: number,
  ) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  private spawn(): PoolWorker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        encrypt: this.params.encrypt,
        key: Uint8Array.from(this.params.key),
        level: this.params.level,
      },
      name: 'hyperkeep-seal',
    });
    const entry: PoolWorker = { worker, pending: new Map() };
    type Reply = { seq: number; blob?: ArrayBuffer; error?: string; c?: number; e?: number };
    worker.on('message', (m: Reply) => {
      const p = entry.pending.get(m.seq);
      if (!p) return;
      entry.pending.delete(m.seq);
      dataPathTimings.compressMs += m.c ?? 0;
      dataPathTimings.encryptMs += m.e ?? 0;
      if (m.blob) p.resolve(new Uint8Array(m.blob));
      else
        p.reject(
          new HyperkeepError(
            'INTERNAL',
            `Compressing/encrypting a chunk failed: ${m.error ?? 'unknown error'}`,
          ),
        );
    });
    const failAll = (err: Error) => {
      for (const p of entry.pending.values()) p.reject(err);
      entry.pending.clear();
    };
    worker.on('error', (err) =>
      failAll(new HyperkeepError('INTERNAL', `Chunk worker thread failed: ${err.message}`)),
    );
    worker.on('exit', (code) => {
      if (!this.closed)
        failAll(new HyperkeepError('INTERNAL', `Chunk worker thread exited with code ${code}`));
    });
    // Idle workers must not keep the process alive (a CLI run ends when its work ends).
    worker.unref();
    return entry;
  }

  /**
   * Seals `data` with `aad` (the chunk id). `data` is transferred to the worker: the caller must
   * not use it afterwards (chunks from StreamChunker own their buffers, so this costs no copy).
   */
  seal(aad: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    if (this.closed)
      return Promise.reject(new HyperkeepError('INTERNAL', 'The chunk worker pool is closed'));
    if (this.workers.length === 0) {
      return Promise.resolve().then(() =>
        compressAndSeal(MAIN_THREAD_MODULES, this.params, aad, data, dataPathTimings),
      );
    }
    let target = this.workers[0]!;
    for (const w of this.workers) if (w.pending.size < target.pending.size) target = w;
    const seq = this.seq++;
    // Transfer only a buffer that is exactly this chunk; anything else (a view into a larger
    // buffer, e.g. a Buffer from Node's pool) is copied so the caller's memory is never detached.
    const owned =
      data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
        ? data
        : new Uint8Array(data);
    const buf = owned.buffer as ArrayBuffer;
    const aadCopy = Uint8Array.from(aad).buffer;
    return new Promise((resolve, reject) => {
      target.pending.set(seq, { resolve, reject });
      target.worker.ref();
      target.worker.postMessage({ seq, aad: aadCopy, data: buf }, [buf, aadCopy]);
    }).finally(() => {
      if (target.pending.size === 0) target.worker.unref();
    }) as Promise<Uint8Array>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

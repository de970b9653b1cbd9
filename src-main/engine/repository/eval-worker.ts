import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * One worker thread started from source text (`eval: true`), with requests matched to replies by
 * sequence number. The repository's worker pools build their source from self-contained
 * functions, so there is no worker file to locate: it works the same under vitest (TypeScript
 * sources), tsx, and the bundled CLI and Electron main process.
 *
 * The thread keeps the process alive only while a request is pending (a CLI run ends when its
 * work ends). When it fails or exits, every pending request is rejected and `onGone` runs.
 */
export class EvalWorker<Reply extends { seq: number }> {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (err: Error) => void }
  >();
  private seq = 0;
  /** Started and ready for work. */
  online = false;

  constructor(options: {
    source: string;
    workerData: unknown;
    name: string;
    /** The error a reply carries, or null for a successful reply. */
    replyError(reply: Reply): Error | null;
    /** The error pending requests get when the thread fails or exits. */
    gone(cause: { error: Error } | { exitCode: number }): Error;
    onGone?(): void;
  }) {
    this.worker = new Worker(options.source, {
      eval: true,
      workerData: options.workerData,
      name: options.name,
    });
    this.worker.once('online', () => (this.online = true));
    this.worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.seq);
      if (!p) return;
      this.pending.delete(reply.seq);
      if (this.pending.size === 0) this.worker.unref();
      const error = options.replyError(reply);
      if (error) p.reject(error);
      else p.resolve(reply);
    });
    const fail = (err: Error): void => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      options.onGone?.();
    };
    this.worker.on('error', (error) => fail(options.gone({ error })));
    this.worker.on('exit', (exitCode) => fail(options.gone({ exitCode })));
    this.worker.unref();
  }

  /** Requests in flight. */
  get busy(): number {
    return this.pending.size;
  }

  /** Sends `message` (with a fresh `seq`); the buffers in `transfer` move to the thread. */
  call(message: object, transfer: ArrayBuffer[] = []): Promise<Reply> {
    const seq = this.seq++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...message, seq }, transfer);
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Where the native BLAKE3 module is, for workers to require; null when it cannot be located. */
export function blake3ModulePath(): string | null {
  try {
    return createRequire(import.meta.url).resolve('@napi-rs/blake-hash');
  } catch {
    return null;
  }
}

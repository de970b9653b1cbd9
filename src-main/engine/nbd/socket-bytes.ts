/** A payload this large is read by the socket straight into its destination (see onread). */
const DIRECT_READ_MIN = 64 * 1024;

/**
 * Exact-length reads over a socket whose bytes arrive through `onread`. While the NBD receive
 * loop waits for a large READ payload, the socket reads straight into the request's destination;
 * otherwise into one reused buffer, from which a waiting payload is copied, and only what arrives
 * while none is awaited (headers, the start of the next reply) is copied aside. Measured: the
 * socket's usual fresh Buffer per 64 KiB 'data' event made V8 run a full mark-compact every
 * ~50 MB read; a copy per byte cost the engine's thread ~0.3 ms per MiB read.
 * One reader at a time: the connection has one receive loop.
 */
export class SocketBytes {
  /** Bytes that arrived while no payload was awaited. */
  private readonly queue: Buffer[] = [];
  /** Bytes of queue[0] already consumed. */
  private head = 0;
  private queued = 0;
  private waiter: { need: number; resolve: () => void; reject: (err: Error) => void } | undefined;
  private sink:
    | {
        dest: Uint8Array | undefined;
        at: number;
        left: number;
        resolve: () => void;
        reject: (err: Error) => void;
      }
    | undefined;
  private endError: Error | undefined;

  private readonly shared = Buffer.allocUnsafe(256 * 1024);
  /** The part of the awaited payload the socket was last told to read into, if any. */
  private direct: Uint8Array | undefined;

  /**
   * The `onread` option for net.connect. Node asks `buffer` where to put the next read (before
   * the first read and after each callback): the rest of an awaited payload when one is large
   * and nothing is queued ahead of it, else a 256 KiB buffer reused for every read.
   */
  readonly onread = {
    buffer: (): Uint8Array => this.nextBuffer(),
    callback: (nread: number, buf: Uint8Array): boolean => {
      this.push(buf, nread);
      return true;
    },
  };

  private nextBuffer(): Uint8Array {
    const sink = this.sink;
    if (sink?.dest !== undefined && this.queued === 0 && sink.left >= DIRECT_READ_MIN) {
      this.direct = sink.dest.subarray(sink.at, sink.at + sink.left);
      return this.direct;
    }
    this.direct = undefined;
    return this.shared;
  }

  private push(buf: Uint8Array, n: number): void {
    if (buf === this.direct) {
      this.direct = undefined;
      // In place already. No sink: it failed meanwhile, and the connection is going away.
      const sink = this.sink;
      if (sink === undefined) return;
      sink.at += n;
      sink.left -= n;
      if (sink.left === 0) {
        this.sink = undefined;
        sink.resolve();
      }
      return;
    }
    let pos = 0;
    const sink = this.sink;
    if (sink !== undefined && this.queued === 0) {
      const step = Math.min(sink.left, n);
      sink.dest?.set(buf.subarray(0, step), sink.at);
      sink.at += step;
      sink.left -= step;
      pos = step;
      if (sink.left === 0) {
        this.sink = undefined;
        sink.resolve();
      }
    }
    if (pos < n) {
      this.queue.push(Buffer.from(buf.subarray(pos, n))); // a copy: `buf` is reused
      this.queued += n - pos;
      const w = this.waiter;
      if (w !== undefined && this.queued >= w.need) {
        this.waiter = undefined;
        w.resolve();
      }
    }
  }

  /** Makes every current and future read reject (the socket is gone or the protocol broke). */
  fail(err: Error): void {
    this.endError ??= err;
    const w = this.waiter;
    const s = this.sink;
    this.waiter = undefined;
    this.sink = undefined;
    w?.reject(this.endError);
    s?.reject(this.endError);
  }

  private waitFor(need: number): Promise<void> {
    if (this.queued >= need) return Promise.resolve();
    if (this.endError !== undefined) return Promise.reject(this.endError);
    return new Promise((resolve, reject) => {
      this.waiter = { need, resolve, reject };
    });
  }

  /** Moves `n` queued bytes (n ≤ queued) into dest at `at` (dest undefined: drop them). */
  private take(dest: Uint8Array | undefined, at: number, n: number): void {
    let left = n;
    let to = at;
    while (left > 0) {
      const chunk = this.queue[0];
      if (chunk === undefined) throw new Error('SocketBytes: accounting error');
      const step = Math.min(left, chunk.length - this.head);
      dest?.set(chunk.subarray(this.head, this.head + step), to);
      to += step;
      left -= step;
      this.head += step;
      if (this.head === chunk.length) {
        this.queue.shift();
        this.head = 0;
      }
    }
    this.queued -= n;
  }

  /** Reads exactly n bytes (headers and small payloads). */
  async read(n: number): Promise<Uint8Array> {
    await this.waitFor(n);
    const first = this.queue[0];
    // The bytes lie within one queued chunk: hand out a view, no copy (queued chunks are ours).
    if (first !== undefined && first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.take(undefined, 0, n);
      return out;
    }
    const out = new Uint8Array(n);
    this.take(out, 0, n);
    return out;
  }

  /** Reads exactly n bytes into dest[at…] (dest undefined discards them). */
  readInto(dest: Uint8Array | undefined, at: number, n: number): Promise<void> {
    const fromQueue = Math.min(this.queued, n);
    this.take(dest, at, fromQueue);
    const left = n - fromQueue;
    if (left === 0) return Promise.resolve();
    if (this.endError !== undefined) return Promise.reject(this.endError);
    return new Promise((resolve, reject) => {
      this.sink = { dest, at: at + fromQueue, left, resolve, reject };
    });
  }
}

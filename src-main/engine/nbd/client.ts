import type { Socket } from 'node:net';
import { HyperkeepError, type ErrorCode } from '../../../shared/errors';
import {
  openConnection,
  type NbdEndpoint,
  type OpenConnection,
  type OpenOptions,
} from './connection';
import type { BlockSizeLimits } from './handshake';
import {
  Cmd,
  NbdProtocolError,
  TransmissionFlag,
  encodeRequest,
  parseReplyHeader,
  replyHeaderSize,
  type Extent,
} from './protocol';
import type { SocketBytes } from './socket-bytes';
import { handleReply, type PendingRequest } from './replies';

export type { NbdEndpoint };

export interface NbdConnectOptions extends OpenOptions {
  /** Requests on the wire at once; more wait for a slot. Default 16. */
  maxInFlight?: number;
  /** A request unanswered this long drops the connection. Default 60 s. */
  requestTimeoutMs?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /**
   * READ only: fill this buffer (at least `length` bytes) instead of allocating one; the result
   * is a view of it. Lets a reader recycle its buffers (a backup reads gigabytes: fresh buffers
   * made V8 collect every few hundred MiB). Not to be reused before the read settles.
   */
  into?: Uint8Array;
}

/** The most one request may ask for; servers commonly refuse more (qemu's limit is 32 MiB). */
export const DEFAULT_MAX_REQUEST = 32 * 1024 * 1024;

/**
 * One NBD connection in the transmission phase. Requests are pipelined: up to `maxInFlight` are on
 * the wire at once and replies, in whatever order the server sends them, are matched by handle.
 * Any protocol violation, timeout or lost connection fails every pending request and the
 * connection; nothing waits forever.
 */
export class NbdClient {
  readonly size: number;
  readonly exportName: string;
  readonly readOnly: boolean;
  readonly blockSize: BlockSizeLimits | undefined;
  /** Largest READ the client sends: the server's maximum block size, capped at 32 MiB. */
  readonly maxRequestBytes: number;
  /** Reads and block status must be multiples of this (1 unless the server asks otherwise). */
  readonly minimumBlockSize: number;
  readonly structuredReplies: boolean;
  /** Selected metadata context names → ids. */
  readonly metaContexts: ReadonlyMap<string, number>;
  readonly where: string;

  private readonly pending = new Map<bigint, PendingRequest>();
  private readonly slotWaiters: ((granted: boolean) => void)[] = [];
  private slotsTaken = 0;
  private readonly contextNames: Map<number, string>;
  private nextHandle = 1n;
  private failure: HyperkeepError | undefined;
  private closing = false;
  private idleWaiters: (() => void)[] = [];
  /** Requests encoded this tick, written together (see send). */
  private outgoing: Uint8Array[] = [];
  /** When each pending request went out (performance.now(), in sending order): the watchdog's. */
  private readonly sentAt = new Map<bigint, number>();
  private watchdog: NodeJS.Timeout | undefined;

  private readonly socket: Socket;
  private readonly bytes: SocketBytes;

  private constructor(
    { socket, bytes, negotiated, where }: OpenConnection,
    exportName: string,
    private readonly maxInFlight: number,
    private readonly requestTimeoutMs: number,
  ) {
    this.socket = socket;
    this.bytes = bytes;
    this.size = negotiated.size;
    this.exportName = exportName;
    this.where = where;
    this.readOnly = (negotiated.transmissionFlags & TransmissionFlag.READ_ONLY) !== 0;
    this.blockSize = negotiated.blockSize;
    this.minimumBlockSize = negotiated.blockSize?.minimum ?? 1;
    this.maxRequestBytes = Math.min(
      negotiated.blockSize?.maximum ?? DEFAULT_MAX_REQUEST,
      DEFAULT_MAX_REQUEST,
    );
    this.structuredReplies = negotiated.structuredReplies;
    this.metaContexts = negotiated.metaContexts;
    this.contextNames = new Map([...negotiated.metaContexts].map(([name, id]) => [id, name]));
    void this.receiveLoop();
  }

  /** Connects, negotiates, and opens the export (see NbdConnectOptions). */
  static async connect(options: NbdConnectOptions): Promise<NbdClient> {
    const connection = await openConnection(options);
    return new NbdClient(
      connection,
      options.exportName ?? '',
      Math.max(1, options.maxInFlight ?? 16),
      options.requestTimeoutMs ?? 60_000,
    );
  }

  /** Reads `length` bytes at `offset` (at most maxRequestBytes, aligned to minimumBlockSize). */
  async read(offset: number, length: number, options: RequestOptions = {}): Promise<Uint8Array> {
    this.checkRange('READ', offset, length, this.maxRequestBytes);
    if (length === 0) return new Uint8Array(0);
    return (await this.request(Cmd.READ, offset, length, options)) as Uint8Array;
  }

  /**
   * NBD_CMD_BLOCK_STATUS: extents from `offset` for every selected context, keyed by context name.
   * A server may describe less than asked (never more); callers continue from where it stopped.
   */
  async blockStatus(
    offset: number,
    length: number,
    options: RequestOptions = {},
  ): Promise<Map<string, Extent[]>> {
    if (this.metaContexts.size === 0) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `NBD export at ${this.where} has no metadata context selected`,
      );
    }
    this.checkRange('BLOCK_STATUS', offset, length, 0xffff_ffff);
    const byId = (await this.request(Cmd.BLOCK_STATUS, offset, length, options)) as Map<
      number,
      Extent[]
    >;
    return new Map(
      [...byId].map(([id, extents]) => [this.contextNames.get(id) ?? String(id), extents]),
    );
  }

  /** Waits for pending requests, then NBD_CMD_DISC and closes the socket. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.pending.size > 0 && this.failure === undefined) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    if (this.failure === undefined && !this.socket.destroyed) {
      this.socket.end(encodeRequest(Cmd.DISC, 0, 0n, 0, 0));
      const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
      const timer = setTimeout(() => this.socket.destroy(), 2000);
      await closed;
      clearTimeout(timer);
    } else {
      this.socket.destroy();
    }
  }

  private checkRange(op: string, offset: number, length: number, maxLength: number): void {
    const bad = (why: string): never => {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `NBD ${op} at offset ${offset} length ${length}: ${why}`,
        {
          offset,
          length,
        },
      );
    };
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0
    ) {
      bad('not a valid range');
    }
    if (offset + length > this.size) bad(`beyond the end of the ${this.size}-byte export`);
    if (length > maxLength) bad(`longer than the ${maxLength}-byte request limit`);
    const align = this.minimumBlockSize;
    if (offset % align !== 0 || (length % align !== 0 && offset + length !== this.size)) {
      bad(`not aligned to the server's ${align}-byte minimum block size`);
    }
  }

  private async request(
    type: number,
    offset: number,
    length: number,
    options: RequestOptions,
  ): Promise<unknown> {
    const { signal } = options;
    const op = type === Cmd.READ ? 'READ' : 'BLOCK_STATUS';
    const cancelled = (): HyperkeepError =>
      new HyperkeepError('CANCELLED', `NBD ${op} at offset ${offset} was cancelled`);
    if (signal?.aborted) throw cancelled();
    if (this.closing && !this.failure) {
      throw new HyperkeepError('CONNECT_FAILED', `NBD connection to ${this.where} is closed`);
    }
    await this.acquireSlot(signal, cancelled);
    if (this.failure) {
      this.releaseSlot();
      throw this.failureFor(op, offset, length);
    }
    const handle = this.nextHandle++;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        // The reply still arrives and is discarded when it does; the slot stays taken until then
        // so a cancelled backup cannot pile unbounded work onto the server.
        request.abandoned = true;
        reject(cancelled());
      };
      const request: PendingRequest = {
        handle,
        type,
        op,
        offset,
        length,
        abandoned: false,
        data:
          type !== Cmd.READ
            ? undefined
            : options.into && options.into.length >= length
              ? Buffer.from(options.into.buffer, options.into.byteOffset, length)
              : Buffer.allocUnsafe(length),
        covered: [],
        coveredBytes: 0,
        extents: new Map(),
        error: undefined,
        settle: (err, value) => {
          signal?.removeEventListener('abort', onAbort);
          this.pending.delete(handle);
          this.sentAt.delete(handle);
          this.releaseSlot();
          if (!request.abandoned) {
            if (err) reject(err);
            else resolve(value);
          }
          if (this.pending.size === 0) this.idleWaiters.splice(0).forEach((w) => w());
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(handle, request);
      this.sentAt.set(handle, performance.now());
      this.watch();
      this.send(encodeRequest(type, 0, handle, offset, length));
    });
  }

  /**
   * Queues a request for the socket: the requests made in one tick go out in one write. A file
   * system walk asks for thousands of small blocks, and a write system call per request cost
   * more than reading the blocks (measured: 0.4 s of a 2 s walk with 10k reads).
   */
  private send(request: Uint8Array): void {
    this.outgoing.push(request);
    if (this.outgoing.length > 1) return;
    process.nextTick(() => {
      const batch = this.outgoing;
      this.outgoing = [];
      if (this.socket.destroyed) return; // fail() has settled whatever was pending
      this.socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
    });
  }

  /**
   * One timer per connection instead of one per request (thousands per walk): it fails the
   * connection once the oldest pending request has waited requestTimeoutMs, and stops when
   * nothing is pending.
   */
  private watch(): void {
    if (this.watchdog) return;
    const every = Math.max(10, Math.min(1000, this.requestTimeoutMs / 4));
    this.watchdog = setInterval(() => {
      if (this.pending.size === 0 || this.failure) {
        clearInterval(this.watchdog);
        this.watchdog = undefined;
        return;
      }
      const now = performance.now();
      for (const [handle, sent] of this.sentAt) {
        if (now - sent < this.requestTimeoutMs) return; // in sending order: the rest are newer
        const request = this.pending.get(handle);
        const what = request ? `${request.op} at offset ${request.offset}` : 'a request';
        this.fail(
          'TIMEOUT',
          `NBD server at ${this.where} did not answer ${what} within ${this.requestTimeoutMs / 1000} s; the connection was dropped`,
        );
        return;
      }
    }, every);
    this.watchdog.unref();
  }

  /** Takes one of the `maxInFlight` slots, waiting in FIFO order when all are taken. */
  private acquireSlot(signal: AbortSignal | undefined, cancelled: () => Error): Promise<void> {
    if (this.slotsTaken < this.maxInFlight) {
      this.slotsTaken++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = (granted: boolean): void => {
        signal?.removeEventListener('abort', onAbort);
        if (granted) resolve();
        else reject(cancelled());
      };
      const onAbort = (): void => {
        const at = this.slotWaiters.indexOf(waiter);
        if (at >= 0) this.slotWaiters.splice(at, 1);
        reject(cancelled());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.slotWaiters.push(waiter);
    });
  }

  /** A request finished: its slot passes straight to the oldest waiter, or becomes free. */
  private releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next(true);
    else this.slotsTaken--;
  }

  private failureFor(op: string, offset: number, length: number): HyperkeepError {
    const failure = this.failure ?? new HyperkeepError('INTERNAL', 'NBD connection failed');
    return new HyperkeepError(
      failure.code,
      `${failure.message} during ${op} at offset ${offset} (length ${length})`,
      { ...failure.details, offset, length },
    );
  }

  /** Marks the connection dead and rejects everything pending with an error naming its request. */
  private fail(code: ErrorCode, message: string): void {
    if (this.failure) return;
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.failure = new HyperkeepError(code, message, { where: this.where });
    this.bytes.fail(this.failure);
    this.socket.destroy();
    for (const request of [...this.pending.values()]) {
      request.settle(this.failureFor(request.op, request.offset, request.length));
    }
    // Waiters were never sent; granting them a slot lets each fail with its own message.
    for (const waiter of this.slotWaiters.splice(0)) {
      this.slotsTaken++;
      waiter(true);
    }
  }

  private async receiveLoop(): Promise<void> {
    try {
      for (;;) {
        const magic = await this.bytes.read(4);
        const rest = await this.bytes.read(replyHeaderSize(magic) - 4);
        const headerBytes = new Uint8Array(4 + rest.length);
        headerBytes.set(magic, 0);
        headerBytes.set(rest, 4);
        const header = parseReplyHeader(headerBytes);
        const request = this.pending.get(header.handle);
        if (!request)
          throw new NbdProtocolError(
            `reply for handle ${header.handle}, which has no request pending`,
          );
        await handleReply(header, request, this.bytes, this.structuredReplies, this.contextNames);
      }
    } catch (err) {
      if (err instanceof NbdProtocolError) {
        this.fail(
          'HYPERVISOR_ERROR',
          `NBD server at ${this.where} sent an invalid reply (${err.message}); the connection was dropped`,
        );
      } else if (this.closing && this.pending.size === 0) {
        this.fail('CONNECT_FAILED', `NBD connection to ${this.where} is closed`);
      } else {
        this.fail('CONNECT_FAILED', `NBD server at ${this.where} closed the connection`);
      }
    }
  }
}

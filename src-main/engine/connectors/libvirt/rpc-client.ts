/**
 * A libvirt RPC client that survives daemon restarts. It owns at most one RpcConnection; the first
 * call after the stream died opens a new one (transport + handshake: AUTH_LIST, CONNECT_OPEN), and
 * a read-only call caught by the drop is replayed once on the fresh connection.
 */
import { HyperkeepError } from '../../../../shared/errors';
import type { StreamConsumer } from './incoming-stream';
import type { RpcUploadCaller, StreamProducer } from './outgoing-stream';
import type { RpcCaller, RpcStreamCaller } from './procedures';
import {
  ConnectionLostError,
  RpcConnection,
  type CallOptions,
  type ProcedureRef,
} from './rpc-connection';
import { abortError, type Transport } from './transport';

export interface RpcClientOptions {
  transport: Transport;
  /** Runs on every fresh connection before anything else (authentication, CONNECT_OPEN). */
  handshake: (connection: RpcConnection, signal: AbortSignal) => Promise<void>;
  /** Runs before a deliberate close (CONNECT_CLOSE), best effort. */
  farewell?: (connection: RpcConnection) => Promise<void>;
  /** Socket connect; an unreachable TCP host fails after this. */
  connectTimeoutMs?: number;
  /** Handshake; the first qemu:///system open probes QEMU's capabilities (seconds). */
  handshakeTimeoutMs?: number;
  /** Default per call. */
  callTimeoutMs?: number;
}

export class RpcClient implements RpcCaller, RpcStreamCaller, RpcUploadCaller {
  private connection: RpcConnection | null = null;
  private opening: Promise<RpcConnection> | null = null;
  private closed = false;
  private readonly connectTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly callTimeoutMs: number;

  constructor(private readonly options: RpcClientOptions) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 90_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 60_000;
  }

  get endpoint(): string {
    return this.options.transport.description;
  }

  get isConnected(): boolean {
    return this.connection !== null && !this.connection.isClosed;
  }

  /** Opens (or reuses) the connection. Idempotent; concurrent callers share one attempt. */
  async connect(signal?: AbortSignal): Promise<void> {
    this.closed = false;
    await this.live(signal);
  }

  async call(
    procedure: ProcedureRef & { readonly retryable?: boolean },
    body: Buffer,
    options: CallOptions = {},
  ): Promise<Buffer> {
    if (this.closed) {
      throw new HyperkeepError('CONNECT_FAILED', `The connection to ${this.endpoint} is closed`);
    }
    const callOptions = { ...options, timeoutMs: options.timeoutMs ?? this.callTimeoutMs };
    const connection = await this.live(options.signal);
    try {
      return await connection.call(procedure, body, callOptions);
    } catch (err) {
      if (!(err instanceof ConnectionLostError) || !procedure.retryable || this.closed) throw err;
      // libvirtd restarted (or the stream broke) under this call: one fresh attempt.
      const fresh = await this.live(options.signal);
      return await fresh.call(procedure, body, callOptions);
    }
  }

  /**
   * A stream-opening call (see RpcConnection.download). Never replayed after a lost connection:
   * the consumer has already seen part of the data.
   */
  async download(
    procedure: ProcedureRef,
    body: Buffer,
    consume: StreamConsumer,
    options: CallOptions = {},
  ): Promise<void> {
    if (this.closed) {
      throw new HyperkeepError('CONNECT_FAILED', `The connection to ${this.endpoint} is closed`);
    }
    const connection = await this.live(options.signal);
    await connection.download(procedure, body, consume, {
      ...options,
      timeoutMs: options.timeoutMs ?? this.callTimeoutMs,
    });
  }

  /** A stream-writing call (see RpcConnection.upload); never replayed, like download. */
  async upload(
    procedure: ProcedureRef,
    body: Buffer,
    produce: StreamProducer,
    options: CallOptions = {},
  ): Promise<void> {
    if (this.closed) {
      throw new HyperkeepError('CONNECT_FAILED', `The connection to ${this.endpoint} is closed`);
    }
    const connection = await this.live(options.signal);
    await connection.upload(procedure, body, produce, {
      ...options,
      timeoutMs: options.timeoutMs ?? this.callTimeoutMs,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = null;
    if (!connection || connection.isClosed) return;
    try {
      await this.options.farewell?.(connection);
    } catch {
      // The daemon may already be gone; closing our end is all that is left to do.
    } finally {
      connection.close();
    }
  }

  private live(signal?: AbortSignal): Promise<RpcConnection> {
    if (this.connection && !this.connection.isClosed) return Promise.resolve(this.connection);
    this.opening ??= this.open().finally(() => {
      this.opening = null;
    });
    return signal ? raceAbort(this.opening, signal, this.endpoint) : this.opening;
  }

  private async open(): Promise<RpcConnection> {
    const { transport, handshake } = this.options;
    const stream = await transport.open(AbortSignal.timeout(this.connectTimeoutMs));
    const connection = new RpcConnection(stream, transport.description);
    const signal = AbortSignal.timeout(this.handshakeTimeoutMs);
    try {
      await handshake(connection, signal);
    } catch (err) {
      connection.close();
      if (signal.aborted) throw abortError(signal, transport.description);
      throw err;
    }
    if (this.closed) {
      // close() was called while we were opening: do not leave a connection behind.
      connection.close();
      throw new HyperkeepError('CANCELLED', `Connecting to ${transport.description} was cancelled`);
    }
    this.connection = connection;
    return connection;
  }
}

/** Lets one caller stop waiting without cancelling a connection attempt others share. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, endpoint: string): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal, endpoint));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal, endpoint));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

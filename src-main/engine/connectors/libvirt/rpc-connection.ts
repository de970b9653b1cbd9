/**
 * One live libvirt RPC connection over a byte stream: serial numbers, many calls in flight, reply
 * matching, per-call timeout and AbortSignal, keepalive answers. It does not reconnect: when the
 * stream ends every pending call fails with ConnectionLostError and RpcClient opens a new one.
 *
 * Streams (virStream: volume download) arrive as STREAM packets carrying the serial of the call
 * that opened them; `onPacket` is the one place that routes packets by type.
 */
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { HyperkeepError } from '../../../../shared/errors';
import {
  encodePacket,
  KEEPALIVE_PROC_PING,
  KEEPALIVE_PROC_PONG,
  KEEPALIVE_PROGRAM,
  KEEPALIVE_PROTOCOL_VERSION,
  MessageStatus,
  MessageType,
  PacketDecoder,
  REMOTE_PROGRAM,
  REMOTE_PROTOCOL_VERSION,
  type Packet,
} from './packet';
import { IncomingStream, type StreamConsumer } from './incoming-stream';
import { OutgoingStream, uploadSink, type StreamProducer } from './outgoing-stream';
import { decodeRemoteError, remoteErrorToHyperkeep } from './remote-error';
import { XdrError, XdrReader } from './xdr';

/** Which procedure a call is, as procedures.ts describes it. */
export interface ProcedureRef {
  readonly number: number;
  readonly name: string;
  /** The RPC program when not libvirt's main one (libvirt-qemu's guest agent commands). */
  readonly program?: number;
}

const programOf = (procedure: ProcedureRef): number => procedure.program ?? REMOTE_PROGRAM;

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The stream died under a call: safe to retry a read-only call on a fresh connection. */
export class ConnectionLostError extends HyperkeepError {
  constructor(message: string, details: Record<string, unknown>, cause?: unknown) {
    super('CONNECT_FAILED', message, details, cause === undefined ? undefined : { cause });
    this.name = 'ConnectionLostError';
  }
}

interface PendingCall {
  procedure: ProcedureRef;
  resolve: (body: Buffer) => void;
  reject: (err: HyperkeepError) => void;
  cleanup: () => void;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const SERIAL_LIMIT = 0xffff_ffff;
/** How long the server gets to acknowledge our abort of a stream before we stop waiting. */
const STREAM_ABORT_TIMEOUT_MS = 10_000;

export class RpcConnection {
  private nextSerial = 1;
  private readonly pending = new Map<number, PendingCall>();
  private readonly streams = new Map<number, IncomingStream | OutgoingStream>();
  private readonly decoder = new PacketDecoder();
  private failure: HyperkeepError | null = null;

  /** `endpoint` names the peer in messages ("the libvirt socket /run/…"). */
  constructor(
    private readonly socket: Duplex,
    readonly endpoint: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(this.lost(err)));
    socket.on('close', () => this.fail(this.lost()));
    // A peer that half-closes will not answer any more: treat it as gone.
    socket.on('end', () => this.fail(this.lost()));
  }

  get isClosed(): boolean {
    return this.failure !== null;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  call(procedure: ProcedureRef, body: Buffer, options: CallOptions = {}): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return this.exchange(
      this.allocateSerial(),
      procedure,
      MessageType.CALL,
      MessageStatus.OK,
      body,
      options,
    );
  }

  /**
   * Calls a procedure that opens a stream from the server (STORAGE_VOL_DOWNLOAD) and hands every
   * piece to `consume` until the end of data; then finishes the stream as virStreamFinish does.
   * `timeoutMs` bounds the call and each silence between packets. When the consumer throws, the
   * signal aborts or the stream stalls, the stream is aborted as virStreamAbort does, so the
   * connection stays usable for other calls.
   */
  async download(
    procedure: ProcedureRef,
    body: Buffer,
    consume: StreamConsumer,
    options: CallOptions = {},
  ): Promise<void> {
    if (this.failure) throw this.failure;
    const { signal, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
    if (signal?.aborted) throw cancelled(procedure);
    const serial = this.allocateSerial();
    // Registered before the call goes out: data may follow the reply in the same read.
    const stream = new IncomingStream(procedure.name, consume, timeoutMs, this.endpoint);
    this.streams.set(serial, stream);
    const onAbort = (): void => stream.fail(cancelled(procedure));
    signal?.addEventListener('abort', onAbort, { once: true });
    let opened = false;
    try {
      await this.exchange(serial, procedure, MessageType.CALL, MessageStatus.OK, body, options);
      opened = true;
      await stream.ended;
      const finished = stream.awaitConfirmation(timeoutMs);
      this.writePacket(serial, procedure, MessageType.STREAM, MessageStatus.OK);
      await finished;
    } catch (err) {
      stream.fail(err as HyperkeepError);
      if (opened && !stream.serverFailed && !this.failure) {
        const aborted = stream.awaitConfirmation(STREAM_ABORT_TIMEOUT_MS);
        this.writePacket(serial, procedure, MessageType.STREAM, MessageStatus.ERROR);
        await aborted.catch(() => undefined);
      }
      throw err;
    } finally {
      this.streams.delete(serial);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Calls a procedure that opens a stream to the server (STORAGE_VOL_UPLOAD), lets `produce` write
   * it, then finishes it as virStreamFinish does: the server confirms once the data is stored.
   * Every write waits for the socket to drain, so a slow host disk slows the producer instead of
   * filling our memory. A failing producer, the signal or a server error aborts the stream as
   * virStreamAbort does, so the connection stays usable for other calls.
   */
  async upload(
    procedure: ProcedureRef,
    body: Buffer,
    produce: StreamProducer,
    options: CallOptions = {},
  ): Promise<void> {
    if (this.failure) throw this.failure;
    const { signal, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
    if (signal?.aborted) throw cancelled(procedure);
    const serial = this.allocateSerial();
    const stream = new OutgoingStream(procedure.name, this.endpoint);
    this.streams.set(serial, stream);
    const onAbort = (): void => stream.fail(cancelled(procedure));
    signal?.addEventListener('abort', onAbort, { once: true });
    const send = async (type: number, payload: Uint8Array): Promise<void> => {
      const failed = stream.error ?? this.failure;
      if (failed) throw failed;
      const header = {
        program: REMOTE_PROGRAM,
        version: REMOTE_PROTOCOL_VERSION,
        procedure: procedure.number,
        type,
        serial,
        status: MessageStatus.CONTINUE,
      };
      if (this.socket.write(encodePacket(header, payload))) return;
      await Promise.race([once(this.socket, 'drain').catch(() => undefined), stream.failed]);
    };
    let opened = false;
    try {
      await this.exchange(serial, procedure, MessageType.CALL, MessageStatus.OK, body, options);
      opened = true;
      await produce(uploadSink(send));
      const failed = stream.error ?? this.failure;
      if (failed) throw failed;
      const finished = stream.awaitConfirmation(timeoutMs);
      this.writePacket(serial, procedure, MessageType.STREAM, MessageStatus.OK);
      await finished;
    } catch (err) {
      const reason = `Writing the stream of ${procedure.name} failed: ${String(err)}`;
      stream.fail(err instanceof HyperkeepError ? err : new HyperkeepError('INTERNAL', reason));
      if (opened && !stream.serverFailed && !this.failure) {
        const aborted = stream.awaitConfirmation(STREAM_ABORT_TIMEOUT_MS);
        this.writePacket(serial, procedure, MessageType.STREAM, MessageStatus.ERROR);
        await aborted.catch(() => undefined);
      }
      throw err;
    } finally {
      this.streams.delete(serial);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private writePacket(serial: number, procedure: ProcedureRef, type: number, status: number): void {
    if (this.failure) return;
    this.socket.write(
      encodePacket({
        program: REMOTE_PROGRAM,
        version: REMOTE_PROTOCOL_VERSION,
        procedure: procedure.number,
        type,
        serial,
        status,
      }),
    );
  }

  /** Sends one packet and waits for the REPLY with its serial. */
  private exchange(
    serial: number,
    procedure: ProcedureRef,
    type: number,
    status: number,
    body: Buffer,
    options: CallOptions,
  ): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const { signal, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
    if (signal?.aborted) return Promise.reject(cancelled(procedure));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(serial)?.reject(
          new HyperkeepError(
            'TIMEOUT',
            `libvirt did not answer ${procedure.name} within ${Math.round(timeoutMs / 1000)} s ` +
              `(${this.endpoint})`,
            { procedure: procedure.name, endpoint: this.endpoint, timeoutMs },
          ),
        );
      }, timeoutMs);
      const onAbort = (): void => this.settle(serial)?.reject(cancelled(procedure));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(serial, {
        procedure,
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      });
      this.socket.write(
        encodePacket(
          {
            program: programOf(procedure),
            // Every libvirt program (remote, qemu, lxc) is at version 1.
            version: REMOTE_PROTOCOL_VERSION,
            procedure: procedure.number,
            type,
            serial,
            status,
          },
          body,
        ),
      );
    });
  }

  /** Drops the stream; pending calls fail as lost. */
  close(): void {
    this.fail(new ConnectionLostError(`The connection to ${this.endpoint} was closed`, {}));
  }

  private allocateSerial(): number {
    // Skip serials still waiting for an answer after a wrap-around (4 billion calls later).
    for (let tries = 0; tries <= this.pending.size; tries++) {
      const serial = this.nextSerial;
      this.nextSerial = serial >= SERIAL_LIMIT ? 1 : serial + 1;
      if (!this.pending.has(serial) && !this.streams.has(serial)) return serial;
    }
    throw new HyperkeepError('INTERNAL', 'No free RPC serial number');
  }

  private settle(serial: number): PendingCall | undefined {
    const call = this.pending.get(serial);
    if (!call) return undefined;
    this.pending.delete(serial);
    call.cleanup();
    return call;
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    let packets: Packet[];
    try {
      packets = this.decoder.push(chunk);
    } catch (err) {
      this.fail(this.protocolError(err));
      return;
    }
    for (const packet of packets) this.onPacket(packet);
  }

  private onPacket(packet: Packet): void {
    const { header, body } = packet;
    if (header.program === KEEPALIVE_PROGRAM) {
      if (header.procedure === KEEPALIVE_PROC_PING && header.type === MessageType.MESSAGE) {
        this.sendPong();
      }
      return;
    }
    if (header.type === MessageType.STREAM || header.type === MessageType.STREAM_HOLE) {
      if (header.program !== REMOTE_PROGRAM) return;
      // Packets of a stream we already gave up are dropped: its abort is on the way.
      this.streams.get(header.serial)?.onPacket(packet);
      return;
    }
    // Events (MESSAGE) are only sent after a register call, which we never make. A reply without
    // a pending call is a late answer to a call that already timed out or was cancelled.
    if (header.type !== MessageType.REPLY) return;
    const call = this.pending.get(header.serial);
    if (!call) return;
    if (
      call.procedure.number !== header.procedure ||
      programOf(call.procedure) !== header.program
    ) {
      this.fail(
        this.protocolError(
          new XdrError(
            `reply for serial ${header.serial} names procedure ${header.program}:${header.procedure}, ` +
              `expected ${programOf(call.procedure)}:${call.procedure.number}`,
          ),
        ),
      );
      return;
    }
    this.settle(header.serial);
    if (header.status === MessageStatus.OK) {
      call.resolve(body);
      return;
    }
    try {
      const r = new XdrReader(body, `error reply to ${call.procedure.name}`);
      call.reject(remoteErrorToHyperkeep(decodeRemoteError(r), call.procedure.name));
    } catch (err) {
      call.reject(
        new HyperkeepError(
          'HYPERVISOR_ERROR',
          `libvirt reported an error for ${call.procedure.name} that could not be decoded: ` +
            (err instanceof Error ? err.message : String(err)),
          { procedure: call.procedure.name },
        ),
      );
    }
  }

  private sendPong(): void {
    this.socket.write(
      encodePacket({
        program: KEEPALIVE_PROGRAM,
        version: KEEPALIVE_PROTOCOL_VERSION,
        procedure: KEEPALIVE_PROC_PONG,
        type: MessageType.MESSAGE,
        serial: 0,
        status: MessageStatus.OK,
      }),
    );
  }

  private lost(err?: NodeJS.ErrnoException): ConnectionLostError {
    const why = err?.code ? ` (${err.code})` : '';
    return new ConnectionLostError(
      `The connection to ${this.endpoint} was lost${why} — libvirtd may have stopped or restarted`,
      { endpoint: this.endpoint, cause: err?.code ?? 'closed' },
      err,
    );
  }

  private protocolError(err: unknown): ConnectionLostError {
    const detail = err instanceof Error ? err.message : String(err);
    return new ConnectionLostError(
      `${capitalize(this.endpoint)} does not speak the libvirt protocol as expected: ${detail}`,
      { endpoint: this.endpoint, cause: 'protocol' },
      err,
    );
  }

  private fail(err: HyperkeepError): void {
    if (this.failure) return;
    this.failure = err;
    for (const serial of [...this.pending.keys()]) this.settle(serial)?.reject(err);
    for (const stream of this.streams.values()) stream.fail(err);
    this.streams.clear();
    this.socket.destroy();
  }
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function cancelled(procedure: ProcedureRef): HyperkeepError {
  return new HyperkeepError('CANCELLED', `${procedure.name} was cancelled`, {
    procedure: procedure.name,
  });
}

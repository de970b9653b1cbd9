/**
 * A virStream we write to the server (STORAGE_VOL_UPLOAD), as virnetclientstream.c speaks it:
 * after the REPLY to the opening call we send STREAM packets with status CONTINUE carrying data
 * (STREAM_HOLE packets for holes when the stream was opened sparse), then an empty STREAM packet
 * with status OK to finish, which the server confirms with a STREAM packet of its own once the
 * data is on disk; or an empty one with status ERROR to abort. The server stays silent while data
 * flows unless it fails (a STREAM packet with status ERROR carrying a remote_error), so there is no
 * idle timer here: TCP back-pressure paces us and the caller's signal bounds the wait.
 */
import { HyperkeepError } from '../../../../shared/errors';
import { MAX_MESSAGE, MessageStatus, MessageType, type Packet } from './packet';
import { decodeRemoteError, remoteErrorToHyperkeep } from './remote-error';
import type { CallOptions, ProcedureRef } from './rpc-connection';
import { XdrReader, XdrWriter } from './xdr';

/** What a producer writes into an upload; each call resolves once the bytes are handed to TCP. */
export interface StreamSink {
  data(bytes: Uint8Array): Promise<void>;
  /** Only on a stream opened with the sparse flag: `length` bytes of zeros the server skips. */
  hole(length: number): Promise<void>;
}

/** Writes the stream's content; throwing aborts the stream with that error. */
export type StreamProducer = (sink: StreamSink) => Promise<void>;

/** Something that can carry an upload-opening call: see RpcConnection.upload. */
export interface RpcUploadCaller {
  upload(
    procedure: ProcedureRef,
    body: Buffer,
    produce: StreamProducer,
    options?: CallOptions,
  ): Promise<void>;
}

/**
 * Payload per data packet: libvirt's own client sends at most VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX
 * (256 KiB minus the header), which every daemon version accepts.
 */
export const UPLOAD_PACKET_BYTES = 262144 - 24;
if (UPLOAD_PACKET_BYTES > MAX_MESSAGE) throw new Error('upload packet larger than a message');

/** remote_stream_hole: hyper length, unsigned int flags (0). */
export function encodeHole(length: number): Buffer {
  return new XdrWriter(12).hyper(length).uint(0).toBuffer();
}

/** Frames a producer's writes: data cut into packets of at most UPLOAD_PACKET_BYTES, holes. */
export function uploadSink(
  write: (type: number, payload: Uint8Array) => Promise<void>,
): StreamSink {
  return {
    data: async (bytes) => {
      for (let at = 0; at < bytes.length; at += UPLOAD_PACKET_BYTES) {
        await write(MessageType.STREAM, bytes.subarray(at, at + UPLOAD_PACKET_BYTES));
      }
    },
    hole: async (length) => {
      if (length > 0) await write(MessageType.STREAM_HOLE, encodeHole(length));
    },
  };
}

export class OutgoingStream {
  private failure: HyperkeepError | null = null;
  private confirmation:
    | { resolve: () => void; reject: (err: HyperkeepError) => void; timer: NodeJS.Timeout }
    | undefined;
  /** The server failed the stream itself (ERROR packet): there is nothing left to abort. */
  serverFailed = false;
  private signalFailure!: (err: HyperkeepError) => void;
  /** Resolves (never rejects) with the error that ended the stream, for writers waiting to drain. */
  readonly failed = new Promise<HyperkeepError>((resolve) => {
    this.signalFailure = resolve;
  });

  constructor(
    readonly procedureName: string,
    private readonly endpoint: string,
  ) {}

  /** The error that ended the stream early, if any: producers check it before every write. */
  get error(): HyperkeepError | null {
    return this.failure;
  }

  onPacket({ header, body }: Packet): void {
    if (header.status === MessageStatus.ERROR) {
      // Whether it answers our finish or abort or fails mid-way, the server has dropped the stream.
      this.serverFailed = true;
      this.fail(this.remoteError(body));
    } else if (header.status === MessageStatus.OK) {
      this.settleConfirmation(null);
    }
    // The server sends no data on an upload; a CONTINUE packet here is ignored.
  }

  /** Ends the stream with an error (connection lost, producer failed, cancelled). */
  fail(err: HyperkeepError): void {
    if (!this.failure) {
      this.failure = err;
      this.signalFailure(err);
    }
    this.settleConfirmation(err);
  }

  /** Call before sending our finish (OK) or abort (ERROR): settles with the server's answer. */
  awaitConfirmation(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.confirmation = undefined;
        reject(
          new HyperkeepError(
            'TIMEOUT',
            `libvirt did not confirm the end of the upload of ${this.procedureName} within ` +
              `${Math.round(timeoutMs / 1000)} s (${this.endpoint})`,
            { procedure: this.procedureName, endpoint: this.endpoint },
          ),
        );
      }, timeoutMs);
      this.confirmation = { resolve, reject, timer };
    });
  }

  private settleConfirmation(err: HyperkeepError | null): void {
    const c = this.confirmation;
    if (!c) return;
    this.confirmation = undefined;
    clearTimeout(c.timer);
    if (err) c.reject(err);
    else c.resolve();
  }

  private remoteError(body: Buffer): HyperkeepError {
    try {
      const r = new XdrReader(body, `error in the stream of ${this.procedureName}`);
      return remoteErrorToHyperkeep(decodeRemoteError(r), this.procedureName);
    } catch (err) {
      return new HyperkeepError(
        'HYPERVISOR_ERROR',
        `libvirt failed the upload of ${this.procedureName} with an error that could not be ` +
          `decoded: ${err instanceof Error ? err.message : String(err)}`,
        { procedure: this.procedureName },
      );
    }
  }
}

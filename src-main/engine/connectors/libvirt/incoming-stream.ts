/**
 * A virStream the server writes to us (STORAGE_VOL_DOWNLOAD), as libvirtd speaks it (observed on
 * libvirt 9 and matching virnetclientstream.c): after the REPLY to the opening call come STREAM
 * packets with status CONTINUE carrying data (STREAM_HOLE packets for holes of a sparse stream),
 * then an empty CONTINUE packet for end of data, or an ERROR packet carrying a remote_error.
 * The client then sends an empty STREAM packet, OK to finish or ERROR to abort, and the server
 * confirms with a STREAM packet of its own (not a REPLY): finish and abort are synchronous.
 */
import { HyperkeepError } from '../../../../shared/errors';
import { MessageStatus, MessageType, type Packet } from './packet';
import { decodeRemoteError, remoteErrorToHyperkeep } from './remote-error';
import { XdrError, XdrReader } from './xdr';

/** Data to place at the stream's current position, or a run of zeros the server skipped. */
export type StreamPiece = { kind: 'data'; data: Buffer } | { kind: 'hole'; length: number };

/** Called for every piece in order; throwing aborts the stream with that error. */
export type StreamConsumer = (piece: StreamPiece) => void;

/** libvirt caps a hole packet's length at a signed 64-bit value; ours must fit a JS number. */
const MAX_HOLE = Number.MAX_SAFE_INTEGER;

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: HyperkeepError) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: HyperkeepError) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // observed by whoever awaits it; never unhandled meanwhile
  return { promise, resolve, reject };
}

export class IncomingStream {
  /** 'data' until end of data or failure, then 'done'; 'confirming' while we await the server. */
  private phase: 'data' | 'done' | 'confirming' = 'data';
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly end = deferred();
  private confirmation: Deferred | undefined;
  /** The server failed the stream itself (ERROR packet): there is nothing left to abort. */
  serverFailed = false;

  /** `idleTimeoutMs`: longest silence between packets before the stream counts as stuck. */
  constructor(
    readonly procedureName: string,
    private readonly consume: StreamConsumer,
    private readonly idleTimeoutMs: number,
    private readonly endpoint: string,
  ) {
    this.armIdleTimer();
  }

  /** Settles at end of data (resolved) or when the stream failed (rejected). */
  get ended(): Promise<void> {
    return this.end.promise;
  }

  /** Feeds one STREAM or STREAM_HOLE packet of this stream. */
  onPacket({ header, body }: Packet): void {
    if (this.phase === 'confirming') {
      this.confirm(header.status, body);
      return;
    }
    if (this.phase === 'done') return;
    this.armIdleTimer();
    try {
      if (header.status === MessageStatus.ERROR) {
        this.serverFailed = true;
        this.fail(this.remoteError(body));
      } else if (header.type === MessageType.STREAM_HOLE) {
        this.consume({ kind: 'hole', length: readHoleLength(body, this.procedureName) });
      } else if (body.length === 0 || header.status === MessageStatus.OK) {
        this.phase = 'done';
        clearTimeout(this.idleTimer);
        this.end.resolve();
      } else {
        this.consume({ kind: 'data', data: body });
      }
    } catch (err) {
      this.fail(asHyperkeepError(err, this.procedureName));
    }
  }

  /** Ends the data phase with an error (connection lost, consumer refused, cancelled, stalled). */
  fail(err: HyperkeepError): void {
    this.confirmation?.reject(err);
    if (this.phase !== 'data') return;
    this.phase = 'done';
    clearTimeout(this.idleTimer);
    this.end.reject(err);
  }

  /**
   * Call before sending our finish (OK) or abort (ERROR) packet: settles with the server's
   * answer, or rejects after `timeoutMs`.
   */
  awaitConfirmation(timeoutMs: number): Promise<void> {
    this.phase = 'confirming';
    const confirmation = deferred();
    this.confirmation = confirmation;
    const timer = setTimeout(() => {
      confirmation.reject(
        new HyperkeepError(
          'TIMEOUT',
          `libvirt did not confirm the end of the stream of ${this.procedureName} (${this.endpoint})`,
          { procedure: this.procedureName, endpoint: this.endpoint },
        ),
      );
    }, timeoutMs);
    return confirmation.promise.finally(() => clearTimeout(timer));
  }

  private confirm(status: number, body: Buffer): void {
    const confirmation = this.confirmation;
    if (!confirmation) return;
    if (status === MessageStatus.ERROR) {
      try {
        confirmation.reject(this.remoteError(body));
      } catch (err) {
        confirmation.reject(asHyperkeepError(err, this.procedureName));
      }
    } else if (status === MessageStatus.OK) {
      confirmation.resolve();
    }
    // Data still in flight when we aborted (CONTINUE) is dropped.
  }

  private remoteError(body: Buffer): HyperkeepError {
    const r = new XdrReader(body, `error in the stream of ${this.procedureName}`);
    return remoteErrorToHyperkeep(decodeRemoteError(r), this.procedureName);
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      const seconds = Math.round(this.idleTimeoutMs / 1000);
      this.fail(
        new HyperkeepError(
          'TIMEOUT',
          `libvirt sent nothing on the stream of ${this.procedureName} for ${seconds} s (${this.endpoint})`,
          { procedure: this.procedureName, endpoint: this.endpoint },
        ),
      );
    }, this.idleTimeoutMs);
  }
}

/** remote_stream_hole: hyper length, unsigned int flags. */
function readHoleLength(body: Buffer, procedureName: string): number {
  const r = new XdrReader(body, `hole packet of ${procedureName}`);
  const length = r.hyper();
  r.uint();
  r.end();
  if (length < 0n || length > BigInt(MAX_HOLE)) {
    throw new XdrError(`hole packet of ${procedureName} announces ${length} bytes`);
  }
  return Number(length);
}

function asHyperkeepError(err: unknown, procedureName: string): HyperkeepError {
  if (err instanceof HyperkeepError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof XdrError) {
    return new HyperkeepError('HYPERVISOR_ERROR', `libvirt sent a malformed stream: ${message}`, {
      procedure: procedureName,
    });
  }
  return new HyperkeepError(
    'INTERNAL',
    `Reading the stream of ${procedureName} failed: ${message}`,
    {
      procedure: procedureName,
    },
  );
}

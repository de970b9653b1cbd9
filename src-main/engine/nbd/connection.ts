import { connect as netConnect, type Socket } from 'node:net';
import { HyperkeepError } from '../../../shared/errors';
import { abortOption, negotiate, type NegotiatedExport } from './handshake';
import { NbdProtocolError } from './protocol';
import { SocketBytes } from './socket-bytes';

export type NbdEndpoint = { socketPath: string } | { host: string; port: number };

export interface OpenOptions {
  endpoint: NbdEndpoint;
  /** Export to open; '' is the server's default export. */
  exportName?: string;
  /** Metadata contexts to select, e.g. 'base:allocation', 'qemu:dirty-bitmap:backup-vda'. */
  metaContexts?: string[];
  /** Connect plus handshake. Default 15 s. */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface OpenConnection {
  socket: Socket;
  bytes: SocketBytes;
  negotiated: NegotiatedExport;
  /** The server as named in messages: a socket path or host:port. */
  where: string;
}

export function describeEndpoint(endpoint: NbdEndpoint): string {
  return 'socketPath' in endpoint ? endpoint.socketPath : `${endpoint.host}:${endpoint.port}`;
}

function connectError(where: string, err: NodeJS.ErrnoException): HyperkeepError {
  const why =
    err.code === 'ENOENT'
      ? 'no such socket — is the NBD server (qemu-nbd, nbdkit, a libvirt backup) running?'
      : err.code === 'ECONNREFUSED'
        ? 'connection refused — is the NBD server listening there?'
        : err.code === 'EACCES'
          ? 'permission denied on the socket'
          : err.message;
  return new HyperkeepError('CONNECT_FAILED', `Cannot connect to NBD server at ${where}: ${why}`, {
    where,
    errno: err.code,
  });
}

/**
 * Connects and runs the handshake, bounded by a timeout and the caller's signal. On failure the
 * socket is closed (with NBD_OPT_ABORT when the server is still talking) before the error is thrown.
 */
export async function openConnection(options: OpenOptions): Promise<OpenConnection> {
  const where = describeEndpoint(options.endpoint);
  const exportName = options.exportName ?? '';
  const timeoutMs = options.connectTimeoutMs ?? 15_000;
  const bytes = new SocketBytes();
  const { onread } = bytes;
  const { endpoint } = options;
  const socket =
    'socketPath' in endpoint
      ? netConnect({ path: endpoint.socketPath, onread })
      : netConnect({ host: endpoint.host, port: endpoint.port, noDelay: true, onread });

  let failure: HyperkeepError | undefined;
  const giveUp = (err: HyperkeepError): void => {
    failure ??= err;
    bytes.fail(failure);
    socket.destroy();
  };
  // Bytes already received stay readable after 'close'; only reads needing more fail.
  socket.on('close', () =>
    bytes.fail(
      failure ??
        new HyperkeepError('CONNECT_FAILED', `NBD server at ${where} closed the connection`, {
          where,
        }),
    ),
  );
  let connected = false;
  socket.once('connect', () => (connected = true));
  // After connecting, errors (ECONNRESET…) are followed by 'close', which the reader reports.
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (!connected) giveUp(connectError(where, err));
  });
  const timer = setTimeout(() => {
    const message = `NBD server at ${where} did not complete the handshake in ${timeoutMs / 1000} s`;
    giveUp(new HyperkeepError('TIMEOUT', message, { where }));
  }, timeoutMs);
  const onAbort = (): void =>
    giveUp(new HyperkeepError('CANCELLED', `Connecting to NBD server at ${where} was cancelled`));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const io = { read: (n: number) => bytes.read(n), write: (b: Uint8Array) => void socket.write(b) };
  try {
    const negotiated = await negotiate(io, where, exportName, options.metaContexts ?? []);
    return { socket, bytes, negotiated, where };
  } catch (err) {
    if (!socket.destroyed) {
      socket.end(abortOption());
      socket.destroySoon();
    }
    if (err instanceof NbdProtocolError) {
      const message = `NBD server at ${where} broke the handshake: ${err.message}`;
      throw new HyperkeepError('HYPERVISOR_ERROR', message, { where });
    }
    throw err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

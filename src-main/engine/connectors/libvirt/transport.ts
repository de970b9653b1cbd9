/**
 * Byte-stream transports under the RPC layer. The RPC client only needs a Duplex: a unix socket, a
 * TCP socket, and later a TLS socket (tls.connect) or an ssh child's stdio carrying `virt-ssh-helper`
 * all fit, so new transports are added here without touching rpc-*.ts.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { HyperkeepError } from '../../../../shared/errors';
import type { LibvirtTarget } from './uri';

export interface Transport {
  /** Names the endpoint in messages: "the libvirt socket /run/…", "host:16509 (libvirt over TCP)". */
  readonly description: string;
  /** Opens a fresh stream; rejects with CONNECT_FAILED (or CANCELLED when `signal` aborts). */
  open(signal: AbortSignal): Promise<Duplex>;
}

export function transportFor(target: LibvirtTarget): Transport {
  if (target.transport === 'tcp')
    return tcpTransport(target.host ?? 'localhost', target.port ?? 16509);
  return unixSocketTransport(target.socketPaths);
}

/** Tries each candidate path in order; the first that exists wins (libvirtd vs virtqemud). */
export function unixSocketTransport(paths: readonly string[]): Transport {
  if (paths.length === 0) throw new HyperkeepError('INTERNAL', 'No libvirt socket path to try');
  const pick = (): string => paths.find((p) => existsSync(p)) ?? paths[0]!;
  return {
    get description() {
      return `the libvirt socket ${pick()}`;
    },
    open: (signal) => {
      const path = pick();
      return connectSocket(() => net.createConnection({ path }), signal, {
        endpoint: `the libvirt socket ${path}`,
        hint: unixHint(path),
      });
    },
  };
}

export function tcpTransport(host: string, port: number): Transport {
  const endpoint = `${host.includes(':') ? `[${host}]` : host}:${port} (libvirt over TCP)`;
  return {
    description: endpoint,
    open: (signal) =>
      // TCP keepalive notices a host that vanished without a FIN while the connection sits idle.
      connectSocket(
        () => net.createConnection({ host, port, keepAlive: true, keepAliveInitialDelay: 30_000 }),
        signal,
        {
          endpoint,
          hint: tcpHint(host, port),
        },
      ),
  };
}

interface ErrorText {
  endpoint: string;
  hint: (code: string | undefined) => string;
}

function connectSocket(
  create: () => net.Socket,
  signal: AbortSignal,
  text: ErrorText,
): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal, text.endpoint));
      return;
    }
    const socket = create();
    const cleanup = (): void => {
      socket.off('connect', onConnect);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onConnect = (): void => {
      cleanup();
      socket.setNoDelay(true);
      resolve(socket);
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      cleanup();
      socket.destroy();
      reject(
        new HyperkeepError(
          'CONNECT_FAILED',
          `Cannot connect to ${text.endpoint}: ${text.hint(err.code)}`,
          { endpoint: text.endpoint, cause: err.code ?? err.message },
          { cause: err },
        ),
      );
    };
    const onAbort = (): void => {
      cleanup();
      socket.destroy();
      reject(abortError(signal, text.endpoint));
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A timeout (AbortSignal.timeout) means an unreachable host; any other abort is the user's. */
export function abortError(signal: AbortSignal, endpoint: string): HyperkeepError {
  const reason: unknown = signal.reason;
  if (reason instanceof HyperkeepError) return reason;
  if (reason instanceof DOMException && reason.name === 'TimeoutError') {
    return new HyperkeepError(
      'CONNECT_FAILED',
      `Cannot connect to ${endpoint}: no answer in time — is the host reachable and libvirtd running?`,
      { endpoint, cause: 'timeout' },
    );
  }
  return new HyperkeepError('CANCELLED', `Connecting to ${endpoint} was cancelled`, { endpoint });
}

function unixHint(path: string) {
  return (code: string | undefined): string => {
    switch (code) {
      case 'ENOENT':
        return `no libvirt socket at ${path} — is libvirtd running?`;
      case 'ECONNREFUSED':
        return 'the socket exists but nothing listens on it — libvirtd has stopped or is restarting';
      case 'EACCES':
      case 'EPERM':
        return (
          'permission denied — this user may not use the socket ' +
          '(check unix_sock_rw_perms / unix_sock_group in libvirtd.conf, or group membership)'
        );
      case 'ENOTSOCK':
        return `${path} is not a socket`;
      default:
        return code ?? 'unknown error';
    }
  };
}

function tcpHint(host: string, port: number) {
  return (code: string | undefined): string => {
    switch (code) {
      case 'ECONNREFUSED':
        return (
          `connection refused — is libvirtd listening on TCP port ${port} ` +
          '(listen_tcp = 1 and libvirtd --listen, or virtproxyd-tcp.socket)?'
        );
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `the host name ${host} cannot be resolved`;
      case 'ETIMEDOUT':
        return 'the connection timed out — is the host reachable and the port open in its firewall?';
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return 'the host is unreachable from here';
      case 'ECONNRESET':
        return 'the connection was reset by the host';
      default:
        return code ?? 'unknown error';
    }
  };
}

/**
 * libvirt connection URIs, read the way libvirt's remote driver reads them
 * (https://libvirt.org/uri.html, src/remote/remote_driver.c doRemoteOpen):
 *
 *   driver[+transport]://[user@][host][:port]/path[?params]
 *
 * - no transport and no host → unix socket; no transport but a host → TLS (libvirt's default);
 * - the name sent in CONNECT_OPEN is the URI without transport, user, host, port and without the
 *   parameters only the client uses (socket, name, mode, …), e.g. qemu:///system; `?name=` overrides
 *   it.
 */
import { HyperkeepError } from '../../../../shared/errors';

export type LibvirtTransportKind = 'unix' | 'tcp';

export interface LibvirtTarget {
  /** The URI as given (trimmed). */
  uri: string;
  driver: 'qemu';
  transport: LibvirtTransportKind;
  /** unix: the socket path(s) to try, in order (explicit ?socket= gives exactly one). */
  socketPaths: string[];
  host?: string;
  port?: number;
  /** What CONNECT_OPEN asks the daemon for, e.g. qemu:///session. */
  openName: string;
}

export interface UriEnvironment {
  /** $XDG_RUNTIME_DIR of the user whose session daemon we talk to. */
  xdgRuntimeDir?: string;
  home?: string;
}

export const DEFAULT_TCP_PORT = 16509;
export const SUPPORTED_TRANSPORTS_TEXT =
  'qemu:///system, qemu:///session, qemu+unix://, qemu+tcp://';

const SYSTEM_SOCKET_DIR = '/var/run/libvirt';
const UNSUPPORTED_TRANSPORTS = new Set(['tls', 'ssh', 'libssh', 'libssh2', 'ext']);

/**
 * Query parameters the remote driver consumes itself and strips from the name it forwards
 * (doRemoteOpen's EXTRACT_URI_ARG_* list); everything else is passed through to the daemon.
 */
const CLIENT_ONLY_PARAMS = new Set([
  'name',
  'command',
  'socket',
  'auth',
  'sshauth',
  'netcat',
  'keyfile',
  'pkipath',
  'known_hosts',
  'known_hosts_verify',
  'no_sanity',
  'no_verify',
  'no_tty',
  'tls_priority',
  'mode',
  'proxy',
  'authfile',
  'tls',
]);

/** Parses and validates; throws HyperkeepError INVALID_URI with a message naming the problem. */
export function parseLibvirtUri(input: string, env: UriEnvironment = processEnv()): LibvirtTarget {
  const uri = input.trim();
  const invalid = (message: string): HyperkeepError =>
    new HyperkeepError('INVALID_URI', message, { uri });

  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid(`"${uri}" is not a libvirt URI (expected e.g. qemu:///system)`);
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const plus = scheme.indexOf('+');
  const driver = plus >= 0 ? scheme.slice(0, plus) : scheme;
  const transportName = plus >= 0 ? scheme.slice(plus + 1) : '';

  if (driver === 'test') {
    throw invalid(
      `${uri}: libvirt's test driver runs inside the client library, without a daemon, ` +
        `so it is not supported by Hyperkeep. Use a QEMU/KVM host (${SUPPORTED_TRANSPORTS_TEXT}).`,
    );
  }
  if (driver === 'esx' || driver === 'vpx' || driver === 'gsx') {
    throw invalid(`${uri}: register VMware hosts with the vSphere hypervisor type, not libvirt.`);
  }
  if (driver !== 'qemu') {
    throw invalid(
      `${uri}: the libvirt driver "${driver}" is not supported by Hyperkeep; ` +
        `it manages QEMU/KVM hosts (${SUPPORTED_TRANSPORTS_TEXT}).`,
    );
  }

  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const transport = transportName || (host ? 'tls' : 'unix');
  if (UNSUPPORTED_TRANSPORTS.has(transport)) {
    const implicit = transportName ? '' : ' (a URI with a host and no +transport means TLS)';
    throw invalid(
      `${uri}: the ${transport} transport${implicit} is not supported yet. ` +
        `Supported now: ${SUPPORTED_TRANSPORTS_TEXT}.`,
    );
  }
  if (transport !== 'unix' && transport !== 'tcp') {
    throw invalid(
      `${uri}: unknown libvirt transport "${transport}". Supported now: ${SUPPORTED_TRANSPORTS_TEXT}.`,
    );
  }

  const params = parseQuery(url.search);
  const path = decodeURIComponent(url.pathname);
  const socket = params.get('socket');
  const mode = params.get('mode') ?? 'auto';
  if (!['auto', 'legacy', 'direct'].includes(mode)) {
    throw invalid(`${uri}: mode must be auto, legacy or direct, not "${mode}"`);
  }

  const forwarded = [...params].filter(([k]) => !CLIENT_ONLY_PARAMS.has(k));
  const query = forwarded.length
    ? '?' + forwarded.map(([k, v]) => `${encodeParam(k)}=${encodeParam(v)}`).join('&')
    : '';
  const openName = params.get('name') ?? `${driver}://${url.pathname}${query}${url.hash}`;

  if (transport === 'tcp') {
    if (socket !== undefined) throw invalid(`${uri}: ?socket= only applies to unix socket URIs`);
    const port = url.port ? Number(url.port) : DEFAULT_TCP_PORT;
    return { uri, driver, transport, socketPaths: [], host: host || 'localhost', port, openName };
  }

  if (host) {
    throw invalid(
      `${uri}: a unix socket URI names no host; use qemu+tcp://${host}/… for a remote host`,
    );
  }
  if (socket !== undefined) {
    if (!socket.startsWith('/')) throw invalid(`${uri}: ?socket= must be an absolute path`);
    return { uri, driver, transport, socketPaths: [socket], openName };
  }
  return { uri, driver, transport, socketPaths: defaultSockets(uri, path, mode, env), openName };
}

/**
 * Where libvirt's client looks when no ?socket= is given: the monolithic libvirtd socket, or the
 * per-driver virtqemud socket of modular daemons. In "auto" mode libvirt prefers libvirtd's
 * socket when it exists; we try both in that order.
 */
function defaultSockets(uri: string, path: string, mode: string, env: UriEnvironment): string[] {
  let dir: string;
  if (path === '/system') {
    dir = SYSTEM_SOCKET_DIR;
  } else if (path === '/session') {
    if (env.xdgRuntimeDir) dir = `${env.xdgRuntimeDir}/libvirt`;
    else if (env.home) dir = `${env.home}/.cache/libvirt`;
    else {
      throw new HyperkeepError(
        'INVALID_URI',
        `${uri}: cannot find the session socket without $XDG_RUNTIME_DIR or $HOME; add ?socket=/path`,
        { uri },
      );
    }
  } else {
    throw new HyperkeepError(
      'INVALID_URI',
      `${uri}: a qemu URI ends in /system or /session (got "${path || '/'}")`,
      { uri },
    );
  }
  const legacy = `${dir}/libvirt-sock`;
  const direct = `${dir}/virtqemud-sock`;
  if (mode === 'legacy') return [legacy];
  if (mode === 'direct') return [direct];
  return [legacy, direct];
}

/** libvirt splits on & and ; and does not treat + as a space (virURIParseParams). */
function parseQuery(search: string): Map<string, string> {
  const params = new Map<string, string>();
  const raw = search.replace(/^\?/, '');
  if (!raw) return params;
  for (const part of raw.split(/[&;]/).slice(0, 64)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = safeDecode(eq >= 0 ? part.slice(0, eq) : part);
    const value = safeDecode(eq >= 0 ? part.slice(eq + 1) : '');
    params.set(key, value);
  }
  return params;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function encodeParam(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/');
}

function processEnv(): UriEnvironment {
  return { xdgRuntimeDir: process.env['XDG_RUNTIME_DIR'], home: process.env['HOME'] };
}

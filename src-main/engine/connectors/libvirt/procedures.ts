/**
 * The remote-program procedures Hyperkeep calls, with their numbers and XDR structures exactly as
 * libvirt's src/remote/remote_protocol.x declares them (the numbers are a stable wire ABI).
 */
import { HyperkeepError } from '../../../../shared/errors';
import type { StreamConsumer } from './incoming-stream';
import type { CallOptions, ProcedureRef } from './rpc-connection';
import { XdrError, XdrReader, XdrWriter } from './xdr';

/** REMOTE_STRING_MAX */
export const STRING_MAX = 4 * 1024 * 1024;
/** REMOTE_DOMAIN_LIST_MAX */
export const DOMAIN_LIST_MAX = 16384;
/** REMOTE_AUTH_TYPE_LIST_MAX */
const AUTH_TYPE_LIST_MAX = 20;
/** VIR_UUID_BUFLEN */
export const UUID_LENGTH = 16;

export interface Procedure<A, R> extends ProcedureRef {
  /** Read-only calls may be replayed on a fresh connection after libvirtd restarted. */
  readonly retryable: boolean;
  encode(w: XdrWriter, args: A): void;
  decode(r: XdrReader): R;
}

/** Anything that can carry a call: a live RpcConnection or the reconnecting RpcClient. */
export interface RpcCaller {
  call(
    procedure: ProcedureRef & { readonly retryable?: boolean },
    body: Buffer,
    options?: CallOptions,
  ): Promise<Buffer>;
}

/** Something that can carry a stream-opening call: see RpcConnection.download. */
export interface RpcStreamCaller {
  download(
    procedure: ProcedureRef,
    body: Buffer,
    consume: StreamConsumer,
    options?: CallOptions,
  ): Promise<void>;
}

/** Encodes args, opens the stream and feeds it to `consume` until the server ends it. */
export async function invokeDownload<A>(
  caller: RpcStreamCaller,
  procedure: Procedure<A, undefined>,
  args: A,
  consume: StreamConsumer,
  options?: CallOptions,
): Promise<void> {
  const w = new XdrWriter();
  try {
    procedure.encode(w, args);
  } catch (err) {
    if (err instanceof XdrError) throw new HyperkeepError('INVALID_INPUT', err.message);
    throw err;
  }
  await caller.download(procedure, w.toBuffer(), consume, options);
}

/** Encodes args, calls, decodes the reply and insists it was consumed exactly. */
export async function invoke<A, R>(
  caller: RpcCaller,
  procedure: Procedure<A, R>,
  args: A,
  options?: CallOptions,
): Promise<R> {
  const w = new XdrWriter();
  try {
    procedure.encode(w, args);
  } catch (err) {
    if (err instanceof XdrError) throw new HyperkeepError('INVALID_INPUT', err.message);
    throw err;
  }
  const body = await caller.call(procedure, w.toBuffer(), options);
  try {
    const r = new XdrReader(body, `reply to ${procedure.name}`);
    const result = procedure.decode(r);
    r.end();
    return result;
  } catch (err) {
    if (!(err instanceof XdrError)) throw err;
    throw new HyperkeepError('HYPERVISOR_ERROR', `libvirt sent a malformed reply: ${err.message}`, {
      procedure: procedure.name,
    });
  }
}

/** remote_nonnull_domain: how every domain call names its domain. */
export interface DomainRef {
  name: string;
  uuid: Buffer;
  /** -1 when the domain is not running. */
  id: number;
}

export const writeDomain = (w: XdrWriter, d: DomainRef): void => {
  w.string(d.name, STRING_MAX).fixedOpaque(d.uuid, UUID_LENGTH).int(d.id);
};

export const readDomain = (r: XdrReader): DomainRef => ({
  name: r.string(STRING_MAX, 'domain name'),
  uuid: r.fixedOpaque(UUID_LENGTH),
  id: r.int(),
});

const readString = (r: XdrReader): string => r.string(STRING_MAX);
const none = (): undefined => undefined;

function procedure<A, R>(
  number: number,
  name: string,
  retryable: boolean,
  encode: (w: XdrWriter, args: A) => void,
  decode: (r: XdrReader) => R,
): Procedure<A, R> {
  return { number, name, retryable, encode, decode };
}

export const AuthType = { NONE: 0, SASL: 1, POLKIT: 2 } as const;

// --- connection ---------------------------------------------------------------------------------

export const CONNECT_OPEN = procedure<{ name: string | null; flags: number }, undefined>(
  1,
  'CONNECT_OPEN',
  false,
  (w, a) => w.optional(a.name, (x, n) => x.string(n, STRING_MAX)).uint(a.flags),
  none,
);
export const CONNECT_CLOSE = procedure<undefined, undefined>(2, 'CONNECT_CLOSE', false, none, none);
/** hv_ver: the hypervisor's version as major * 1,000,000 + minor * 1,000 + release. */
export const CONNECT_GET_VERSION = procedure<undefined, number>(
  4,
  'CONNECT_GET_VERSION',
  true,
  none,
  (r) => r.uhyperNumber('hv_ver'),
);

export interface NodeInfo {
  /** The CPU architecture ("x86_64"), not the marketing model name. */
  model: string;
  memoryKiB: number;
  cpus: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
}

/** remote_node_get_info_ret: rpcgen encodes `char model[32]` as 32 four-byte units. */
export const NODE_GET_INFO = procedure<undefined, NodeInfo>(6, 'NODE_GET_INFO', true, none, (r) => {
  const chars = r.fixedArray(32, (x) => x.int() & 0xff);
  const end = chars.indexOf(0);
  return {
    model: Buffer.from(end >= 0 ? chars.slice(0, end) : chars).toString('latin1'),
    memoryKiB: r.uhyperNumber('memory'),
    cpus: r.int(),
    mhz: r.int(),
    nodes: r.int(),
    sockets: r.int(),
    cores: r.int(),
    threads: r.int(),
  };
});
/** virDrvFeature; asking about PROGRAM_KEEPALIVE makes the daemon start pinging this client. */
export const DrvFeature = { PROGRAM_KEEPALIVE: 10 } as const;

export const CONNECT_SUPPORTS_FEATURE = procedure<{ feature: number }, boolean>(
  60,
  'CONNECT_SUPPORTS_FEATURE',
  true,
  (w, a) => w.int(a.feature),
  (r) => r.int() !== 0,
);
export const CONNECT_GET_CAPABILITIES = procedure<undefined, string>(
  7,
  'CONNECT_GET_CAPABILITIES',
  true,
  none,
  readString,
);
export const CONNECT_GET_HOSTNAME = procedure<undefined, string>(
  59,
  'CONNECT_GET_HOSTNAME',
  true,
  none,
  readString,
);
export const AUTH_LIST = procedure<undefined, number[]>(66, 'AUTH_LIST', false, none, (r) =>
  r.array(AUTH_TYPE_LIST_MAX, (x) => x.int(), 'auth types'),
);
/** remote_auth_polkit_ret: the daemon asks polkit whether our uid may connect. */
export const AUTH_POLKIT = procedure<undefined, boolean>(
  70,
  'AUTH_POLKIT',
  false,
  none,
  (r) => r.int() !== 0,
);
export const CONNECT_GET_LIB_VERSION = procedure<undefined, number>(
  157,
  'CONNECT_GET_LIB_VERSION',
  true,
  none,
  (r) => r.uhyperNumber('lib_ver'),
);

// --- domains ------------------------------------------------------------------------------------

/** virConnectListAllDomainsFlags; 0 lists every domain, active and inactive. */
export const ListDomainsFlags = { ACTIVE: 1, INACTIVE: 2, PERSISTENT: 4, TRANSIENT: 8 } as const;

export const CONNECT_LIST_ALL_DOMAINS = procedure<{ flags: number }, DomainRef[]>(
  273,
  'CONNECT_LIST_ALL_DOMAINS',
  true,
  (w, a) => w.int(1 /* need_results */).uint(a.flags),
  (r) => {
    const domains = r.array(DOMAIN_LIST_MAX, readDomain, 'domains');
    r.uint(); // ret: the count again
    return domains;
  },
);
export const DOMAIN_LOOKUP_BY_NAME = procedure<{ name: string }, DomainRef>(
  23,
  'DOMAIN_LOOKUP_BY_NAME',
  true,
  (w, a) => w.string(a.name, STRING_MAX),
  readDomain,
);
export const DOMAIN_LOOKUP_BY_UUID = procedure<{ uuid: Buffer }, DomainRef>(
  24,
  'DOMAIN_LOOKUP_BY_UUID',
  true,
  (w, a) => w.fixedOpaque(a.uuid, UUID_LENGTH),
  readDomain,
);

/** virDomainXMLFlags: SECURE adds passwords, INACTIVE gives the persistent (next boot) config. */
export const DomainXmlFlags = { SECURE: 1, INACTIVE: 2, UPDATE_CPU: 4, MIGRATABLE: 8 } as const;

export const DOMAIN_GET_XML_DESC = procedure<{ dom: DomainRef; flags: number }, string>(
  14,
  'DOMAIN_GET_XML_DESC',
  true,
  (w, a) => {
    writeDomain(w, a.dom);
    w.uint(a.flags);
  },
  readString,
);

export interface DomainInfo {
  state: number;
  maxMemKiB: number;
  memoryKiB: number;
  vcpus: number;
  cpuTimeNs: bigint;
}

/** remote_domain_get_info_ret: `unsigned char` and `unsigned short` still take 4 bytes each. */
export const DOMAIN_GET_INFO = procedure<{ dom: DomainRef }, DomainInfo>(
  16,
  'DOMAIN_GET_INFO',
  true,
  (w, a) => writeDomain(w, a.dom),
  (r) => ({
    state: r.uint() & 0xff,
    maxMemKiB: r.uhyperNumber('maxMem'),
    memoryKiB: r.uhyperNumber('memory'),
    vcpus: r.uint() & 0xffff,
    cpuTimeNs: r.uhyper(),
  }),
);

/** virDomainState */
export const DomainState = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;

/** No QEMU runs for the domain: its disks are only files, read through its volumes. */
export function isPoweredOff(state: number): boolean {
  return state === DomainState.SHUTOFF || state === DomainState.CRASHED;
}

export const DOMAIN_GET_STATE = procedure<{ dom: DomainRef }, { state: number; reason: number }>(
  212,
  'DOMAIN_GET_STATE',
  true,
  (w, a) => {
    writeDomain(w, a.dom);
    w.uint(0);
  },
  (r) => ({ state: r.int(), reason: r.int() }),
);

export interface BlockInfo {
  /** Guest-visible size. */
  capacity: number;
  /** Host storage used (highest written offset for a running qcow2). */
  allocation: number;
  /** Size of the host file or device. */
  physical: number;
}

/** `disk` is a target name (vda) or source path as written in the domain XML. */
export const DOMAIN_GET_BLOCK_INFO = procedure<{ dom: DomainRef; disk: string }, BlockInfo>(
  194,
  'DOMAIN_GET_BLOCK_INFO',
  true,
  (w, a) => {
    writeDomain(w, a.dom);
    w.string(a.disk, STRING_MAX).uint(0);
  },
  (r) => ({
    allocation: r.uhyperNumber('allocation'),
    capacity: r.uhyperNumber('capacity'),
    physical: r.uhyperNumber('physical'),
  }),
);

/** Formats a 16-byte libvirt UUID as the usual 8-4-4-4-12 text. */
export function uuidToString(uuid: Buffer): string {
  const h = uuid.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UUID_TEXT = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Parses UUID text (with or without dashes, as libvirt accepts); null when it is not one. */
export function uuidFromString(text: string): Buffer | null {
  const t = text.trim();
  if (!UUID_TEXT.test(t)) return null;
  return Buffer.from(t.replace(/-/g, ''), 'hex');
}

/**
 * The remote-program procedures a restore needs: storage pools and volumes (list, create, upload,
 * convert, delete) and domain definition and life cycle. Numbers and XDR structures as libvirt's
 * src/remote/remote_protocol.x declares them; the numbers are a stable wire ABI.
 */
import { HyperkeepError } from '../../../../shared/errors';
import {
  readPool,
  readVol,
  writePool,
  writeVol,
  type StoragePoolRef,
  type StorageVolRef,
} from './backup-procedures';
import type { RpcUploadCaller, StreamProducer } from './outgoing-stream';
import { readDomain, STRING_MAX, writeDomain, type DomainRef, type Procedure } from './procedures';
import type { CallOptions } from './rpc-connection';
import { XdrError, XdrWriter, type XdrReader } from './xdr';

/** REMOTE_STORAGE_POOL_LIST_MAX */
const STORAGE_POOL_LIST_MAX = 16384;

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

/** Encodes args and lets `produce` write the stream the call opens (see RpcConnection.upload). */
export async function invokeUpload<A>(
  caller: RpcUploadCaller,
  proc: Procedure<A, undefined>,
  args: A,
  produce: StreamProducer,
  options?: CallOptions,
): Promise<void> {
  const w = new XdrWriter();
  try {
    proc.encode(w, args);
  } catch (err) {
    if (err instanceof XdrError) throw new HyperkeepError('INVALID_INPUT', err.message);
    throw err;
  }
  await caller.upload(proc, w.toBuffer(), produce, options);
}

// --- storage pools ------------------------------------------------------------------------------

/** virConnectListAllStoragePoolsFlags; 0 lists every pool, active or not. */
export const ListPoolsFlags = { INACTIVE: 1, ACTIVE: 2 } as const;

export const CONNECT_LIST_ALL_STORAGE_POOLS = procedure<{ flags: number }, StoragePoolRef[]>(
  281,
  'CONNECT_LIST_ALL_STORAGE_POOLS',
  true,
  (w, a) => w.int(1 /* need_results */).uint(a.flags),
  (r) => {
    const pools = r.array(STORAGE_POOL_LIST_MAX, readPool, 'storage pools');
    r.uint(); // ret: the count again
    return pools;
  },
);

/** virStoragePoolState */
export const PoolState = { INACTIVE: 0, BUILDING: 1, RUNNING: 2, DEGRADED: 3, INACCESSIBLE: 4 };

export interface PoolInfo {
  state: number;
  capacity: number;
  allocation: number;
  available: number;
}

/** remote_storage_pool_get_info_ret: `unsigned char state` still takes four bytes. */
export const STORAGE_POOL_GET_INFO = procedure<{ pool: StoragePoolRef }, PoolInfo>(
  87,
  'STORAGE_POOL_GET_INFO',
  true,
  (w, a) => writePool(w, a.pool),
  (r) => ({
    state: r.uint() & 0xff,
    capacity: r.uhyperNumber('capacity'),
    allocation: r.uhyperNumber('allocation'),
    available: r.uhyperNumber('available'),
  }),
);

export const STORAGE_POOL_GET_XML_DESC = procedure<{ pool: StoragePoolRef }, string>(
  88,
  'STORAGE_POOL_GET_XML_DESC',
  true,
  (w, a) => {
    writePool(w, a.pool);
    w.uint(0);
  },
  readString,
);

// --- storage volumes ----------------------------------------------------------------------------

/** Flags 0: libvirt allocates as the format and pool type dictate (a raw file stays sparse). */
export const STORAGE_VOL_CREATE_XML = procedure<
  { pool: StoragePoolRef; xml: string },
  StorageVolRef
>(
  93,
  'STORAGE_VOL_CREATE_XML',
  false,
  (w, a) => {
    writePool(w, a.pool);
    w.string(a.xml, STRING_MAX).uint(0);
  },
  readVol,
);

/** The host converts `clone` into the new volume (qemu-img convert for file pools). */
export const STORAGE_VOL_CREATE_XML_FROM = procedure<
  { pool: StoragePoolRef; xml: string; clone: StorageVolRef },
  StorageVolRef
>(
  125,
  'STORAGE_VOL_CREATE_XML_FROM',
  false,
  (w, a) => {
    writePool(w, a.pool);
    w.string(a.xml, STRING_MAX);
    writeVol(w, a.clone);
    w.uint(0);
  },
  readVol,
);

export const STORAGE_VOL_DELETE = procedure<{ vol: StorageVolRef }, undefined>(
  94,
  'STORAGE_VOL_DELETE',
  false,
  (w, a) => {
    writeVol(w, a.vol);
    w.uint(0);
  },
  none,
);

export const STORAGE_VOL_LOOKUP_BY_NAME = procedure<
  { pool: StoragePoolRef; name: string },
  StorageVolRef
>(
  95,
  'STORAGE_VOL_LOOKUP_BY_NAME',
  true,
  (w, a) => {
    writePool(w, a.pool);
    w.string(a.name, STRING_MAX);
  },
  readVol,
);

export const STORAGE_VOL_GET_PATH = procedure<{ vol: StorageVolRef }, string>(
  100,
  'STORAGE_VOL_GET_PATH',
  true,
  (w, a) => writeVol(w, a.vol),
  readString,
);

/** virStorageVolUploadFlags: SPARSE_STREAM lets the stream carry holes instead of zeros. */
export const VolUploadFlags = { SPARSE_STREAM: 1 } as const;

/**
 * Opens a stream that writes the volume file's bytes [offset, offset + length) as stored on the
 * host (a qcow2 volume takes qcow2 bytes). length 0 means up to the end. Carry it with invokeUpload.
 */
export const STORAGE_VOL_UPLOAD = procedure<
  { vol: StorageVolRef; offset: number; length: number; flags: number },
  undefined
>(
  208,
  'STORAGE_VOL_UPLOAD',
  false,
  (w, a) => {
    writeVol(w, a.vol);
    w.uhyper(a.offset).uhyper(a.length).uint(a.flags);
  },
  none,
);

// --- domains ------------------------------------------------------------------------------------

/** virDomainDefineFlags: VALIDATE checks the XML against libvirt's schema first. */
export const DefineFlags = { VALIDATE: 1 } as const;

export const DOMAIN_DEFINE_XML_FLAGS = procedure<{ xml: string; flags: number }, DomainRef>(
  350,
  'DOMAIN_DEFINE_XML_FLAGS',
  false,
  (w, a) => w.string(a.xml, STRING_MAX).uint(a.flags),
  readDomain,
);

/** Starts a defined, inactive domain. */
export const DOMAIN_CREATE = procedure<{ dom: DomainRef }, undefined>(
  9,
  'DOMAIN_CREATE',
  false,
  (w, a) => writeDomain(w, a.dom),
  none,
);

/** Powers a running domain off at once (the plug pulled). */
export const DOMAIN_DESTROY = procedure<{ dom: DomainRef }, undefined>(
  12,
  'DOMAIN_DESTROY',
  false,
  (w, a) => writeDomain(w, a.dom),
  none,
);

/**
 * virDomainUndefineFlagsValues: also drop managed-save images, snapshot and checkpoint metadata
 * and NVRAM, which would otherwise make undefine fail or leave files of a VM that is gone.
 */
export const UndefineFlags = {
  MANAGED_SAVE: 1,
  SNAPSHOTS_METADATA: 2,
  NVRAM: 4,
  CHECKPOINTS_METADATA: 16,
} as const;

export const DOMAIN_UNDEFINE_FLAGS = procedure<{ dom: DomainRef; flags: number }, undefined>(
  231,
  'DOMAIN_UNDEFINE_FLAGS',
  false,
  (w, a) => {
    writeDomain(w, a.dom);
    w.uint(a.flags);
  },
  none,
);

const optionalString = (w: XdrWriter, value: string | null): void => {
  w.optional(value, (x, s) => x.string(s, STRING_MAX));
};

/** What the host can run for this architecture and virtualization type (disk buses among it). */
export const CONNECT_GET_DOMAIN_CAPABILITIES = procedure<
  { emulator: string | null; arch: string | null; machine: string | null; virtType: string | null },
  string
>(
  342,
  'CONNECT_GET_DOMAIN_CAPABILITIES',
  true,
  (w, a) => {
    optionalString(w, a.emulator);
    optionalString(w, a.arch);
    optionalString(w, a.machine);
    optionalString(w, a.virtType);
    w.uint(0);
  },
  readString,
);

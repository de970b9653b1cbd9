/**
 * The remote-program procedures a backup needs beyond describing VMs: pull-mode backup jobs,
 * checkpoints (changed block tracking), guest-agent quiescing, job control, and storage volumes
 * (for VMs that are powered off). Numbers and XDR structures as libvirt's
 * src/remote/remote_protocol.x declares them; the numbers are a stable wire ABI.
 */
import {
  readDomain,
  STRING_MAX,
  UUID_LENGTH,
  writeDomain,
  type DomainRef,
  type Procedure,
} from './procedures';
import type { XdrReader, XdrWriter } from './xdr';

/** REMOTE_DOMAIN_CHECKPOINT_LIST_MAX */
const CHECKPOINT_LIST_MAX = 16384;
/** REMOTE_DOMAIN_FSFREEZE_MOUNTPOINTS_MAX */
const FSFREEZE_MOUNTPOINTS_MAX = 256;

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

// --- checkpoints --------------------------------------------------------------------------------

/** remote_nonnull_domain_checkpoint */
export interface CheckpointRef {
  name: string;
  dom: DomainRef;
}

const writeCheckpoint = (w: XdrWriter, c: CheckpointRef): void => {
  w.string(c.name, STRING_MAX);
  writeDomain(w, c.dom);
};
const readCheckpoint = (r: XdrReader): CheckpointRef => ({
  name: r.string(STRING_MAX, 'checkpoint name'),
  dom: readDomain(r),
});

/** virDomainCheckpointXMLFlags: SIZE asks QEMU how big each bitmap is (fails if one is gone). */
export const CheckpointXmlFlags = { SECURE: 1, NO_DOMAIN: 2, SIZE: 4 } as const;

export const DOMAIN_CHECKPOINT_CREATE_XML = procedure<
  { dom: DomainRef; xml: string; flags: number },
  CheckpointRef
>(
  411,
  'DOMAIN_CHECKPOINT_CREATE_XML',
  false,
  (w, a) => {
    writeDomain(w, a.dom);
    w.string(a.xml, STRING_MAX).uint(a.flags);
  },
  readCheckpoint,
);

export const DOMAIN_CHECKPOINT_GET_XML_DESC = procedure<
  { checkpoint: CheckpointRef; flags: number },
  string
>(
  412,
  'DOMAIN_CHECKPOINT_GET_XML_DESC',
  true,
  (w, a) => {
    writeCheckpoint(w, a.checkpoint);
    w.uint(a.flags);
  },
  readString,
);

export const DOMAIN_LIST_ALL_CHECKPOINTS = procedure<{ dom: DomainRef }, CheckpointRef[]>(
  413,
  'DOMAIN_LIST_ALL_CHECKPOINTS',
  true,
  (w, a) => {
    writeDomain(w, a.dom);
    w.int(1 /* need_results */).uint(0);
  },
  (r) => {
    const checkpoints = r.array(CHECKPOINT_LIST_MAX, readCheckpoint, 'checkpoints');
    r.int(); // ret: the count again
    return checkpoints;
  },
);

export const DOMAIN_CHECKPOINT_LOOKUP_BY_NAME = procedure<
  { dom: DomainRef; name: string },
  CheckpointRef
>(
  415,
  'DOMAIN_CHECKPOINT_LOOKUP_BY_NAME',
  true,
  (w, a) => {
    writeDomain(w, a.dom);
    w.string(a.name, STRING_MAX).uint(0);
  },
  readCheckpoint,
);

/**
 * Flags 0: the checkpoint goes and its bitmap is merged into its parent's, so the parent still
 * tracks every change since it was taken. (METADATA_ONLY would leave orphan bitmaps behind.)
 */
export const DOMAIN_CHECKPOINT_DELETE = procedure<{ checkpoint: CheckpointRef }, undefined>(
  417,
  'DOMAIN_CHECKPOINT_DELETE',
  false,
  (w, a) => {
    writeCheckpoint(w, a.checkpoint);
    w.uint(0);
  },
  none,
);

// --- backup jobs --------------------------------------------------------------------------------

/** Starts a push or pull backup; with checkpointXml, the checkpoint marks the same instant. */
export const DOMAIN_BACKUP_BEGIN = procedure<
  { dom: DomainRef; backupXml: string; checkpointXml: string | null },
  undefined
>(
  421,
  'DOMAIN_BACKUP_BEGIN',
  false,
  (w, a) => {
    writeDomain(w, a.dom);
    w.string(a.backupXml, STRING_MAX)
      .optional(a.checkpointXml, (x, xml) => x.string(xml, STRING_MAX))
      .uint(0);
  },
  none,
);

/** The running backup as libvirt completed it: export names, bitmap names, the TCP port. */
export const DOMAIN_BACKUP_GET_XML_DESC = procedure<{ dom: DomainRef }, string>(
  422,
  'DOMAIN_BACKUP_GET_XML_DESC',
  true,
  (w, a) => {
    writeDomain(w, a.dom);
    w.uint(0);
  },
  readString,
);

/** virDomainJobType */
export const JobType = { NONE: 0, BOUNDED: 1, UNBOUNDED: 2, COMPLETED: 3, FAILED: 4, CANCELLED: 5 };

export interface JobInfo {
  type: number;
  timeElapsedMs: number;
  dataTotal: number;
  dataProcessed: number;
}

/** remote_domain_get_job_info_ret: type, then eleven unsigned hypers. */
export const DOMAIN_GET_JOB_INFO = procedure<{ dom: DomainRef }, JobInfo>(
  163,
  'DOMAIN_GET_JOB_INFO',
  true,
  (w, a) => writeDomain(w, a.dom),
  (r) => {
    const type = r.int();
    const [timeElapsedMs = 0, , dataTotal = 0, dataProcessed = 0] = Array.from({ length: 11 }, () =>
      r.uhyperNumber('job counter'),
    );
    return { type, timeElapsedMs, dataTotal, dataProcessed };
  },
);

/** Ends a pull-mode backup (its NBD exports and scratch files go) or cancels any other job. */
export const DOMAIN_ABORT_JOB = procedure<{ dom: DomainRef }, undefined>(
  164,
  'DOMAIN_ABORT_JOB',
  false,
  (w, a) => writeDomain(w, a.dom),
  none,
);

// --- guest agent --------------------------------------------------------------------------------

const fsFreezeProcedure = (number: number, name: string): Procedure<{ dom: DomainRef }, number> =>
  procedure(
    number,
    name,
    false,
    (w, a) => {
      writeDomain(w, a.dom);
      // No mount points: every file system the agent knows.
      w.array([] as string[], FSFREEZE_MOUNTPOINTS_MAX, (x, m) => x.string(m, STRING_MAX)).uint(0);
    },
    (r) => r.int(),
  );

/** Freezes the guest's file systems through the QEMU guest agent; answers how many. */
export const DOMAIN_FSFREEZE = fsFreezeProcedure(335, 'DOMAIN_FSFREEZE');
export const DOMAIN_FSTHAW = fsFreezeProcedure(336, 'DOMAIN_FSTHAW');

// --- storage ------------------------------------------------------------------------------------

/** remote_nonnull_storage_pool */
export interface StoragePoolRef {
  name: string;
  uuid: Buffer;
}

/** remote_nonnull_storage_vol */
export interface StorageVolRef {
  pool: string;
  name: string;
  key: string;
}

export const writePool = (w: XdrWriter, p: StoragePoolRef): void => {
  w.string(p.name, STRING_MAX).fixedOpaque(p.uuid, UUID_LENGTH);
};
export const readPool = (r: XdrReader): StoragePoolRef => ({
  name: r.string(STRING_MAX, 'pool name'),
  uuid: r.fixedOpaque(UUID_LENGTH),
});
export const writeVol = (w: XdrWriter, v: StorageVolRef): void => {
  w.string(v.pool, STRING_MAX).string(v.name, STRING_MAX).string(v.key, STRING_MAX);
};
export const readVol = (r: XdrReader): StorageVolRef => ({
  pool: r.string(STRING_MAX, 'pool name'),
  name: r.string(STRING_MAX, 'volume name'),
  key: r.string(STRING_MAX, 'volume key'),
});

/** Flags 0: a transient pool, started at once and gone when destroyed. */
export const STORAGE_POOL_CREATE_XML = procedure<{ xml: string }, StoragePoolRef>(
  76,
  'STORAGE_POOL_CREATE_XML',
  false,
  (w, a) => w.string(a.xml, STRING_MAX).uint(0),
  readPool,
);

/** Stops a pool. For a directory pool the files stay; a transient pool is forgotten. */
export const STORAGE_POOL_DESTROY = procedure<{ pool: StoragePoolRef }, undefined>(
  80,
  'STORAGE_POOL_DESTROY',
  false,
  (w, a) => writePool(w, a.pool),
  none,
);

export const STORAGE_POOL_REFRESH = procedure<{ pool: StoragePoolRef }, undefined>(
  83,
  'STORAGE_POOL_REFRESH',
  false,
  (w, a) => {
    writePool(w, a.pool);
    w.uint(0);
  },
  none,
);

export const STORAGE_POOL_LOOKUP_BY_NAME = procedure<{ name: string }, StoragePoolRef>(
  84,
  'STORAGE_POOL_LOOKUP_BY_NAME',
  true,
  (w, a) => w.string(a.name, STRING_MAX),
  readPool,
);

export const STORAGE_POOL_LOOKUP_BY_TARGET_PATH = procedure<{ path: string }, StoragePoolRef>(
  391,
  'STORAGE_POOL_LOOKUP_BY_TARGET_PATH',
  true,
  (w, a) => w.string(a.path, STRING_MAX),
  readPool,
);

export const STORAGE_VOL_LOOKUP_BY_PATH = procedure<{ path: string }, StorageVolRef>(
  97,
  'STORAGE_VOL_LOOKUP_BY_PATH',
  true,
  (w, a) => w.string(a.path, STRING_MAX),
  readVol,
);

export interface VolumeInfo {
  type: number;
  /** Size of the volume as its format presents it (for qcow2 the virtual size). */
  capacity: number;
  /** Bytes of host storage used; with VolInfoFlags.PHYSICAL, the size of the file itself. */
  allocation: number;
}

/** virStorageVolInfoFlags */
export const VolInfoFlags = { PHYSICAL: 1 } as const;

/** remote_storage_vol_get_info_flags_ret: `char type` still takes four bytes. */
export const STORAGE_VOL_GET_INFO_FLAGS = procedure<
  { vol: StorageVolRef; flags: number },
  VolumeInfo
>(
  378,
  'STORAGE_VOL_GET_INFO_FLAGS',
  true,
  (w, a) => {
    writeVol(w, a.vol);
    w.uint(a.flags);
  },
  (r) => ({
    type: r.int() & 0xff,
    capacity: r.uhyperNumber('capacity'),
    allocation: r.uhyperNumber('allocation'),
  }),
);

/** virStorageVolDownloadFlags: SPARSE_STREAM sends holes as hole packets instead of zeros. */
export const VolDownloadFlags = { SPARSE_STREAM: 1 } as const;

/**
 * Opens a stream of the volume file's bytes [offset, offset + length) as stored on the host
 * (a qcow2 volume streams its qcow2 file, not the guest's view). Carry it with a stream caller.
 */
export const STORAGE_VOL_DOWNLOAD = procedure<
  { vol: StorageVolRef; offset: number; length: number; flags: number },
  undefined
>(
  209,
  'STORAGE_VOL_DOWNLOAD',
  false,
  (w, a) => {
    writeVol(w, a.vol);
    w.uhyper(a.offset).uhyper(a.length).uint(a.flags);
  },
  none,
);

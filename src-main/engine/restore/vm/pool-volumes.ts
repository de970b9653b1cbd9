/**
 * Storage pools and volumes of a libvirt host, for restores: which pools there are, and a point's
 * disk written into a new volume through libvirt's volume upload stream (no file access to the
 * host needed, so it works the same over TCP as on the local socket).
 *
 * Format choice: the upload writes the volume file's bytes as they are, so a qcow2 volume would
 * need a qcow2 image streamed into it. We always upload the guest's raw bytes into a sparse raw
 * volume (holes travel as hole packets, so zeros cost nothing on the wire or on disk), and for
 * qcow2 ask libvirt to convert that volume into a new qcow2 one (STORAGE_VOL_CREATE_XML_FROM runs
 * qemu-img convert on the host), then delete the raw one. That works with any libvirtd the
 * console can reach, including the session-mode daemons of the lab.
 */
import type { StoragePool } from '../../../../shared/domain/restore';
import { HyperkeepError } from '../../../../shared/errors';
import {
  STORAGE_POOL_REFRESH,
  type StoragePoolRef,
  type StorageVolRef,
} from '../../connectors/libvirt/backup-procedures';
import type { LibvirtConnector } from '../../connectors/libvirt/libvirt-connector';
import { invoke } from '../../connectors/libvirt/procedures';
import {
  CONNECT_LIST_ALL_STORAGE_POOLS,
  invokeUpload,
  PoolState,
  STORAGE_POOL_GET_INFO,
  STORAGE_POOL_GET_XML_DESC,
  STORAGE_VOL_CREATE_XML,
  STORAGE_VOL_CREATE_XML_FROM,
  STORAGE_VOL_DELETE,
  STORAGE_VOL_GET_PATH,
  STORAGE_VOL_LOOKUP_BY_NAME,
  STORAGE_VOL_UPLOAD,
  VolUploadFlags,
} from '../../connectors/libvirt/restore-procedures';
import { attr, child, childText, parseXmlDocument } from '../../connectors/libvirt/xml-tree';
import type { RandomAccessReader } from '../../io/random-access';

const READ_BLOCK = 4 * 1024 * 1024;
/** Zero runs shorter than this travel as data: a hole packet per 4 KiB would cost more. */
const HOLE_GRAIN = 64 * 1024;
/** Converting a large raw volume to qcow2 on the host takes a while; the stream finish too. */
const CONVERT_TIMEOUT_MS = 30 * 60_000;
const FINISH_TIMEOUT_MS = 10 * 60_000;

export interface PoolHandle {
  ref: StoragePoolRef;
  summary: StoragePool;
}

export async function listPools(connector: LibvirtConnector): Promise<PoolHandle[]> {
  const refs = await invoke(connector.rpc, CONNECT_LIST_ALL_STORAGE_POOLS, { flags: 0 });
  const pools = await Promise.all(refs.map((ref) => describePool(connector, ref)));
  return pools.sort((a, b) => a.summary.name.localeCompare(b.summary.name));
}

async function describePool(connector: LibvirtConnector, ref: StoragePoolRef): Promise<PoolHandle> {
  const [info, xml] = await Promise.all([
    invoke(connector.rpc, STORAGE_POOL_GET_INFO, { pool: ref }),
    invoke(connector.rpc, STORAGE_POOL_GET_XML_DESC, { pool: ref }),
  ]);
  const pool = parseXmlDocument(xml, 'pool', `storage pool XML of ${ref.name}`);
  const summary: StoragePool = {
    name: ref.name,
    type: attr(pool, 'type') ?? 'unknown',
    capacityBytes: info.capacity,
    availableBytes: info.available,
    active: info.state === PoolState.RUNNING || info.state === PoolState.DEGRADED,
  };
  const path = childText(child(pool, 'target'), 'path');
  if (path !== undefined) summary.path = path;
  return { ref, summary };
}

/**
 * The pool named `name`; without a name the one called "default", else the first active one.
 * Refuses an inactive pool: libvirt cannot create volumes in it.
 */
export async function resolvePool(
  connector: LibvirtConnector,
  name: string | undefined,
): Promise<PoolHandle> {
  const pools = await listPools(connector);
  const wanted = name ?? 'default';
  const pool =
    pools.find((p) => p.summary.name === wanted) ??
    (name === undefined ? pools.find((p) => p.summary.active) : undefined);
  if (!pool) {
    const known = pools.map((p) => p.summary.name).join(', ') || 'none';
    throw new HyperkeepError(
      'NOT_FOUND',
      name === undefined
        ? `${connector.endpoint} has no active storage pool to restore into (pools: ${known}); ` +
            'define one, e.g. virsh pool-define-as default dir --target /var/lib/libvirt/images'
        : `${connector.endpoint} has no storage pool named "${name}" (pools: ${known})`,
      { field: 'pool' },
    );
  }
  if (!pool.summary.active) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Storage pool "${pool.summary.name}" on ${connector.endpoint} is not active; start it ` +
        `(virsh pool-start ${pool.summary.name}) or choose another pool`,
      { field: 'pool' },
    );
  }
  return pool;
}

export async function volumeExists(
  connector: LibvirtConnector,
  pool: StoragePoolRef,
  name: string,
): Promise<boolean> {
  try {
    await invoke(connector.rpc, STORAGE_VOL_LOOKUP_BY_NAME, { pool, name });
    return true;
  } catch (err) {
    if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') return false;
    throw err;
  }
}

export async function deleteVolume(connector: LibvirtConnector, vol: StorageVolRef): Promise<void> {
  await invoke(connector.rpc, STORAGE_VOL_DELETE, { vol });
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function volumeXml(name: string, capacity: number, format: 'raw' | 'qcow2'): string {
  return (
    `<volume><name>${xmlEscape(name)}</name>` +
    `<capacity unit='bytes'>${capacity}</capacity><allocation unit='bytes'>0</allocation>` +
    `<target><format type='${format}'/></target></volume>`
  );
}

export interface UploadedVolume {
  vol: StorageVolRef;
  path: string;
  format: 'raw' | 'qcow2';
}

export interface UploadOptions {
  connector: LibvirtConnector;
  pool: StoragePoolRef;
  volumeName: string;
  format: 'raw' | 'qcow2';
  reader: RandomAccessReader;
  signal: AbortSignal;
  /** Bytes of the guest's disk sent so far (holes count as sent). */
  onProgress: (bytesDone: number, phase: 'uploading' | 'converting') => void;
  log: (line: string) => void;
  /** Every volume this call creates, as soon as it exists: the caller's undo list. */
  onCreated: (vol: StorageVolRef) => void;
  /** Called when a volume this call created is gone again (the raw one after conversion). */
  onDeleted: (vol: StorageVolRef) => void;
}

/** Creates `volumeName` in the pool and fills it with the reader's bytes. */
export async function uploadToNewVolume(o: UploadOptions): Promise<UploadedVolume> {
  const { connector, pool, reader } = o;
  const rawName = o.format === 'raw' ? o.volumeName : `${o.volumeName}.hk-upload.raw`;
  const raw = await invoke(connector.rpc, STORAGE_VOL_CREATE_XML, {
    pool,
    xml: volumeXml(rawName, reader.size, 'raw'),
  });
  o.onCreated(raw);
  o.log(`Created volume ${raw.name} (${reader.size} bytes, raw) in pool ${pool.name}`);
  await invokeUpload(
    connector.uploads,
    STORAGE_VOL_UPLOAD,
    { vol: raw, offset: 0, length: reader.size, flags: VolUploadFlags.SPARSE_STREAM },
    async (sink) => {
      let pendingHole = 0;
      const readAt = (offset: number): Promise<Uint8Array> | null => {
        if (offset >= reader.size) return null;
        const read = reader.read(offset, Math.min(READ_BLOCK, reader.size - offset));
        read.catch(() => undefined); // awaited below; never unhandled if we stop early
        return read;
      };
      // The next block is fetched from the repository while this one travels to the host.
      let next = readAt(0);
      for (let offset = 0; next !== null; offset += READ_BLOCK) {
        if (o.signal.aborted) throw o.signal.reason;
        const block = await next;
        next = readAt(offset + READ_BLOCK);
        for (let at = 0; at < block.length;) {
          const end = Math.min(at + HOLE_GRAIN, block.length);
          const piece = block.subarray(at, end);
          if (isZero(piece)) pendingHole += piece.length;
          else {
            // Consecutive data grains go out together: fewer, fuller packets.
            let dataEnd = end;
            while (dataEnd < block.length) {
              const next = block.subarray(dataEnd, Math.min(dataEnd + HOLE_GRAIN, block.length));
              if (isZero(next)) break;
              dataEnd += next.length;
            }
            if (pendingHole > 0) await sink.hole(pendingHole);
            pendingHole = 0;
            await sink.data(block.subarray(at, dataEnd));
            at = dataEnd;
            continue;
          }
          at = end;
        }
        o.onProgress(offset + block.length, 'uploading');
      }
      if (pendingHole > 0) await sink.hole(pendingHole);
    },
    { signal: o.signal, timeoutMs: FINISH_TIMEOUT_MS },
  );
  o.log(`Uploaded ${reader.size} bytes into ${raw.name}`);
  if (o.format === 'raw') {
    return { vol: raw, path: await volumePath(connector, raw), format: 'raw' };
  }
  o.onProgress(reader.size, 'converting');
  const qcow2 = await invoke(
    connector.rpc,
    STORAGE_VOL_CREATE_XML_FROM,
    { pool, xml: volumeXml(o.volumeName, reader.size, 'qcow2'), clone: raw },
    { signal: o.signal, timeoutMs: CONVERT_TIMEOUT_MS },
  );
  o.onCreated(qcow2);
  o.log(`Converted ${raw.name} into ${qcow2.name} (qcow2) on the host`);
  await deleteVolume(connector, raw);
  o.onDeleted(raw);
  await invoke(connector.rpc, STORAGE_POOL_REFRESH, { pool }).catch(() => undefined);
  return { vol: qcow2, path: await volumePath(connector, qcow2), format: 'qcow2' };
}

function volumePath(connector: LibvirtConnector, vol: StorageVolRef): Promise<string> {
  return invoke(connector.rpc, STORAGE_VOL_GET_PATH, { vol });
}

function isZero(block: Uint8Array): boolean {
  const words = new BigUint64Array(block.buffer, block.byteOffset, block.byteLength >> 3);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0n) return false;
  for (let i = words.length << 3; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

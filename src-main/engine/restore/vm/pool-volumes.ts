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
  PoolState,
  STORAGE_POOL_GET_INFO,
  STORAGE_POOL_GET_XML_DESC,
  STORAGE_VOL_CREATE_XML,
  STORAGE_VOL_CREATE_XML_FROM,
  STORAGE_VOL_DELETE,
  STORAGE_VOL_GET_PATH,
  STORAGE_VOL_LOOKUP_BY_NAME,
} from '../../connectors/libvirt/restore-procedures';
import { attr, child, childText, parseXmlDocument } from '../../connectors/libvirt/xml-tree';
import type { RandomAccessReader } from '../../io/random-access';
import { sendDiskToVolume } from './volume-upload';

/** Converting a large raw volume to qcow2 on the host takes a while. */
export const CONVERT_TIMEOUT_MS = 30 * 60_000;

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

export function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A volume definition. qcow2 asks for compat 1.1 (qcow2 v3) explicitly: libvirt otherwise makes
 * v2 images when converting, and QEMU cannot keep the persistent dirty bitmaps of incremental
 * backups in those, so the restored VM's next backup would fail at its checkpoint.
 */
export function volumeXml(name: string, capacity: number, format: 'raw' | 'qcow2'): string {
  const compat = format === 'qcow2' ? '<compat>1.1</compat>' : '';
  return (
    `<volume><name>${xmlEscape(name)}</name>` +
    `<capacity unit='bytes'>${capacity}</capacity><allocation unit='bytes'>0</allocation>` +
    `<target><format type='${format}'/>${compat}</target></volume>`
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
  await sendDiskToVolume({
    connector,
    vol: raw,
    reader,
    signal: o.signal,
    onProgress: (bytesDone) => o.onProgress(bytesDone, 'uploading'),
  });
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

export function volumePath(connector: LibvirtConnector, vol: StorageVolRef): Promise<string> {
  return invoke(connector.rpc, STORAGE_VOL_GET_PATH, { vol });
}

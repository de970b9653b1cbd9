/**
 * An in-place restore overwrites the original VM's disk files at their own paths, through
 * libvirt only (no file access to the host). libvirt cannot rename a volume, so a disk is
 * replaced in steps that never leave the VM without a good disk:
 *
 *   1. stage   the point's disk is uploaded into a new raw volume next to the original
 *              (`<name>.hk-restore-<job>`) and read back; its digest must equal what was sent;
 *   2. keep    once every disk is staged, the original is copied to `<name>.hk-original-<job>`;
 *   3. swap    the original is deleted and recreated at its path, in its format, from the staged
 *              volume (qemu-img convert on the host);
 *   4. clean   staged and kept volumes are deleted: nothing is left next to the disks.
 *
 * A failure or cancel before the swap deletes the staged volumes and leaves the originals as
 * they were; after it, the undo log recreates each swapped original from its kept copy.
 */
import { basename, dirname } from 'node:path';
import { HyperkeepError } from '../../../../shared/errors';
import { formatBytes } from '../../../../shared/format';
import { VolumeByteSource } from '../../backup/volume-source';
import { VolumeLocator } from '../../backup/volume-locator';
import {
  STORAGE_POOL_LOOKUP_BY_NAME,
  STORAGE_VOL_GET_INFO_FLAGS,
  VolInfoFlags,
  type StoragePoolRef,
  type StorageVolRef,
} from '../../connectors/libvirt/backup-procedures';
import type { LibvirtConnector } from '../../connectors/libvirt/libvirt-connector';
import {
  DOMAIN_GET_STATE,
  DomainState,
  invoke,
  type DomainRef,
} from '../../connectors/libvirt/procedures';
import {
  STORAGE_POOL_GET_INFO,
  STORAGE_VOL_CREATE_XML,
  STORAGE_VOL_CREATE_XML_FROM,
  STORAGE_VOL_DELETE,
  STORAGE_VOL_LOOKUP_BY_NAME,
} from '../../connectors/libvirt/restore-procedures';
import { attr, child, children, parseXmlDocument } from '../../connectors/libvirt/xml-tree';
import type { RandomAccessReader } from '../../io/random-access';
import { DiskDigest } from './disk-digest';
import { CONVERT_TIMEOUT_MS, volumeXml, volumePath } from './pool-volumes';
import type { UndoLog } from './restore-context';
import { sendDiskToVolume } from './volume-upload';

/** A disk of the original VM, as its current definition names it. */
export interface OriginalDisk {
  target: string;
  path: string;
  format: 'raw' | 'qcow2';
}

const READ_BACK_BLOCK = 8 * 1024 * 1024;

/**
 * The original's disks that the point restores in place, checked before anything moves: each
 * must be a raw or qcow2 image file (what the restore can recreate at the same path).
 */
export function originalDisks(
  originalXml: string,
  pointDisks: readonly string[],
  vm: string,
): OriginalDisk[] {
  const domain = parseXmlDocument(originalXml, 'domain', `definition of ${vm}`);
  const found: OriginalDisk[] = [];
  for (const disk of children(child(domain, 'devices'), 'disk')) {
    const target = attr(child(disk, 'target'), 'dev') ?? '';
    if (!pointDisks.includes(target)) continue;
    const type = attr(disk, 'type') ?? 'file';
    const path = attr(child(disk, 'source'), 'file') ?? '';
    const format = attr(child(disk, 'driver'), 'type') ?? 'raw';
    if (type !== 'file' || !path.startsWith('/') || (format !== 'raw' && format !== 'qcow2')) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Disk ${target} of ${vm} is a ${type === 'file' ? `${format} image` : `${type} disk`} ` +
          `(${path || 'no file'}): an in-place restore can only overwrite raw or qcow2 image ` +
          'files. Restore the VM under a new name instead.',
        { field: 'inPlace' },
      );
    }
    found.push({ target, path, format });
  }
  return found;
}

const OFF_STATES = new Set<number>([DomainState.SHUTOFF, DomainState.CRASHED, DomainState.NOSTATE]);

/** Refuses a VM that is not shut off: its disks must not change under a running guest. */
export async function assertPoweredOff(
  destination: { connector: LibvirtConnector; hypervisorName: string },
  dom: DomainRef,
  name: string,
): Promise<void> {
  const { state } = await invoke(destination.connector.rpc, DOMAIN_GET_STATE, { dom });
  if (!OFF_STATES.has(state)) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `VM ${name} is running on ${destination.hypervisorName}: shut it down first (e.g. ` +
        `virsh shutdown ${name}), then restore it in place.`,
      { field: 'inPlace' },
    );
  }
}

/** The original's disks the point does not have: the restored definition leaves them out. */
export function disksLeftOut(originalXml: string, pointDisks: readonly string[]): string[] {
  const domain = parseXmlDocument(originalXml, 'domain', 'the original definition');
  return children(child(domain, 'devices'), 'disk')
    .filter((d) => (attr(d, 'device') ?? 'disk') === 'disk')
    .map((d) => ({
      target: attr(child(d, 'target'), 'dev') ?? '',
      path: attr(child(d, 'source'), 'file') ?? attr(child(d, 'source'), 'dev') ?? '',
    }))
    .filter((d) => !pointDisks.includes(d.target))
    .map((d) => `${d.target}${d.path ? ` (${d.path})` : ''}`);
}

interface DiskState {
  original: OriginalDisk;
  sizeBytes: number;
  dataBytes: number;
  vol: StorageVolRef;
  pool: StoragePoolRef;
  allocation: number;
  staged?: StorageVolRef;
  kept?: StorageVolRef;
}

export interface InPlaceLog {
  log(line: string): void;
  warn(line: string): void;
}

/** The original disks of one in-place restore, from staging to clean-up. */
export class InPlaceDisks {
  private readonly locator: VolumeLocator;
  private readonly disks = new Map<string, DiskState>();

  constructor(
    private readonly connector: LibvirtConnector,
    private readonly out: InPlaceLog,
    private readonly undo: UndoLog,
    /** Part of the staged and kept volume names: which job left them, should it be killed. */
    private readonly tag: string,
  ) {
    this.locator = new VolumeLocator(connector, (line) => out.log(line));
  }

  /**
   * Finds each original's volume and checks its pool can hold the staged copy, the kept copy
   * and the recreated disk at once.
   */
  async prepare(
    disks: readonly { original: OriginalDisk; sizeBytes: number; dataBytes: number }[],
  ): Promise<void> {
    const rpc = this.connector.rpc;
    const needs = new Map<string, { pool: StoragePoolRef; bytes: number }>();
    for (const d of disks) {
      const vol = await this.locator.find(d.original.path);
      const pool = await invoke(rpc, STORAGE_POOL_LOOKUP_BY_NAME, { name: vol.pool });
      const info = await invoke(rpc, STORAGE_VOL_GET_INFO_FLAGS, {
        vol,
        flags: VolInfoFlags.PHYSICAL,
      });
      this.disks.set(d.original.target, { ...d, vol, pool, allocation: info.allocation });
      const need = needs.get(pool.name) ?? { pool, bytes: 0 };
      need.bytes += d.dataBytes + Math.max(d.dataBytes, info.allocation);
      needs.set(pool.name, need);
    }
    for (const { pool, bytes } of needs.values()) {
      const { available } = await invoke(rpc, STORAGE_POOL_GET_INFO, { pool });
      if (bytes > available) {
        throw new HyperkeepError(
          'INVALID_INPUT',
          `An in-place restore stages each disk next to the original and keeps a copy of the ` +
            `original until it is replaced: storage pool ${pool.name} on ` +
            `${this.connector.endpoint} needs ${formatBytes(bytes)} free and has ` +
            `${formatBytes(available)}. Free space there, or restore under a new name.`,
          { field: 'inPlace' },
        );
      }
    }
  }

  /** Step 1: the point's disk into a new raw volume next to the original, read back and checked. */
  async stage(
    target: string,
    reader: RandomAccessReader,
    signal: AbortSignal,
    onProgress: (bytesDone: number, phase: 'uploading' | 'verifying') => void,
  ): Promise<void> {
    const disk = this.state(target);
    const name = `${disk.vol.name}.hk-restore-${this.tag}`;
    const staged = await invoke(this.connector.rpc, STORAGE_VOL_CREATE_XML, {
      pool: disk.pool,
      xml: volumeXml(name, reader.size, 'raw'),
    });
    disk.staged = staged;
    this.undo.addVolume(this.connector, staged);
    this.out.log(`Staging ${target} in ${dirname(disk.original.path)}/${name}`);
    const sent = new DiskDigest();
    await sendDiskToVolume({
      connector: this.connector,
      vol: staged,
      reader,
      signal,
      onProgress: (n) => onProgress(n, 'uploading'),
      digest: sent,
    });
    const held = new DiskDigest();
    const source = new VolumeByteSource(this.connector.streams, staged, reader.size, name, signal);
    const buffer = new Uint8Array(READ_BACK_BLOCK);
    // Bounded: each iteration reads one block of the staged volume.
    for (let at = 0; at < reader.size; at += READ_BACK_BLOCK) {
      if (signal.aborted) throw signal.reason;
      const block = buffer.subarray(0, Math.min(READ_BACK_BLOCK, reader.size - at));
      await source.readInto(block, at);
      held.update(at, block);
      onProgress(at + block.length, 'verifying');
    }
    const [want, got] = [sent.digest(), held.digest()];
    if (want !== got) {
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `The staged copy of ${target} on ${this.connector.endpoint} does not read back as ` +
          `uploaded (sha256 ${got.slice(0, 16)}…, expected ${want.slice(0, 16)}…); ` +
          `${disk.original.path} was not touched. Check the host's storage and try again.`,
      );
    }
    this.out.log(`Staged ${target}: read back and verified (sha256 ${want.slice(0, 16)}…)`);
  }

  /**
   * Steps 2 and 3 for one disk; not cancellable once begun (a half-made swap is worse than a
   * finished one), so the caller checks its signal first.
   */
  async swap(target: string): Promise<void> {
    const rpc = this.connector.rpc;
    const disk = this.state(target);
    const staged = disk.staged;
    if (!staged) throw new HyperkeepError('INTERNAL', `Disk ${target} was not staged`);
    const { original, pool } = disk;
    const keptName = `${disk.vol.name}.hk-original-${this.tag}`;
    const kept = await invoke(
      rpc,
      STORAGE_VOL_CREATE_XML_FROM,
      {
        pool,
        xml: volumeXml(keptName, await this.capacity(disk.vol), original.format),
        clone: disk.vol,
      },
      { timeoutMs: CONVERT_TIMEOUT_MS },
    );
    disk.kept = kept;
    this.undo.addVolume(this.connector, kept);
    this.out.log(`Kept a copy of ${original.path} as ${keptName} until the swap is done`);
    let deleted = false;
    this.undo.add(`put back ${original.path} from ${keptName}`, async () => {
      if (!deleted) return;
      // Whatever stands at the original's name now (the restored disk, or a half-made one) goes.
      const current = await invoke(rpc, STORAGE_VOL_LOOKUP_BY_NAME, {
        pool,
        name: disk.vol.name,
      }).catch(() => null);
      if (current) await invoke(rpc, STORAGE_VOL_DELETE, { vol: current });
      await this.recreate(disk, kept, await this.capacity(kept));
    });
    await invoke(rpc, STORAGE_VOL_DELETE, { vol: disk.vol });
    deleted = true;
    await this.recreate(disk, staged, disk.sizeBytes);
    this.out.log(
      `Replaced ${original.path} (${original.format}) with the restored ${target} ` +
        `(${formatBytes(disk.sizeBytes)})`,
    );
  }

  /** Step 4: deletes the staged and kept volumes; what cannot be deleted is named. */
  async clean(): Promise<void> {
    for (const disk of this.disks.values()) {
      for (const vol of [disk.staged, disk.kept]) {
        if (!vol) continue;
        try {
          await invoke(this.connector.rpc, STORAGE_VOL_DELETE, { vol });
          this.undo.forgetVolume(vol);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          this.out.warn(
            `Could not delete ${vol.name} from pool ${vol.pool} (${message}): delete it by hand`,
          );
        }
      }
    }
  }

  /** Stops a temporary storage pool started to reach the originals; after any undo. */
  async release(): Promise<void> {
    await this.locator.release();
  }

  /** Where each restored disk now lives, for the VM's definition. */
  placement(target: string): { target: string; path: string; format: 'raw' | 'qcow2' } {
    const { original } = this.state(target);
    return { target, path: original.path, format: original.format };
  }

  private state(target: string): DiskState {
    const disk = this.disks.get(target);
    if (!disk) throw new HyperkeepError('INTERNAL', `Disk ${target} is not restored in place`);
    return disk;
  }

  private async capacity(vol: StorageVolRef): Promise<number> {
    return (await invoke(this.connector.rpc, STORAGE_VOL_GET_INFO_FLAGS, { vol, flags: 0 }))
      .capacity;
  }

  /** The original's volume name, path and format again, filled from `from`. */
  private async recreate(disk: DiskState, from: StorageVolRef, capacity: number): Promise<void> {
    const rpc = this.connector.rpc;
    const created = await invoke(
      rpc,
      STORAGE_VOL_CREATE_XML_FROM,
      {
        pool: disk.pool,
        xml: volumeXml(disk.vol.name, capacity, disk.original.format),
        clone: from,
      },
      { timeoutMs: CONVERT_TIMEOUT_MS },
    );
    const path = await volumePath(this.connector, created);
    if (path !== disk.original.path) {
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `libvirt recreated ${basename(disk.original.path)} at ${path}, not at ` +
          `${disk.original.path}: check pool ${disk.pool.name} on ${this.connector.endpoint}`,
      );
    }
  }
}

/**
 * Finds the libvirt storage volume behind a disk image path, so a powered-off VM's disks can be
 * streamed by libvirt itself (local or remote host alike). libvirt only knows files that belong
 * to a storage pool: when no pool covers the image's directory, a transient directory pool is
 * started for it and stopped again afterwards. Stopping a directory pool never touches its files.
 */
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { HyperkeepError } from '../../../shared/errors';
import {
  STORAGE_POOL_CREATE_XML,
  STORAGE_POOL_DESTROY,
  STORAGE_POOL_LOOKUP_BY_NAME,
  STORAGE_POOL_LOOKUP_BY_TARGET_PATH,
  STORAGE_POOL_REFRESH,
  STORAGE_VOL_LOOKUP_BY_PATH,
  type StoragePoolRef,
  type StorageVolRef,
} from '../connectors/libvirt/backup-procedures';
import type { LibvirtConnector } from '../connectors/libvirt/libvirt-connector';
import { invoke } from '../connectors/libvirt/procedures';

/**
 * Pools this process started, by endpoint and name, with how many backups use each: backups of
 * two VMs in one directory share the pool and the last one stops it.
 */
const startedPools = new Map<string, { users: number; pool: StoragePoolRef }>();

function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function isNotFound(err: unknown): boolean {
  return err instanceof HyperkeepError && err.code === 'NOT_FOUND';
}

export class VolumeLocator {
  private readonly held = new Set<string>();

  constructor(
    private readonly connector: LibvirtConnector,
    private readonly log: (line: string) => void,
  ) {}

  async find(path: string): Promise<StorageVolRef> {
    const rpc = this.connector.rpc;
    try {
      return await invoke(rpc, STORAGE_VOL_LOOKUP_BY_PATH, { path });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const dir = dirname(path);
    try {
      // A pool covers the directory but has not seen the file yet.
      const pool = await invoke(rpc, STORAGE_POOL_LOOKUP_BY_TARGET_PATH, { path: dir });
      await invoke(rpc, STORAGE_POOL_REFRESH, { pool });
      return await invoke(rpc, STORAGE_VOL_LOOKUP_BY_PATH, { path });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    await this.startPool(dir);
    try {
      return await invoke(rpc, STORAGE_VOL_LOOKUP_BY_PATH, { path });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      throw new HyperkeepError(
        'NOT_FOUND',
        `Disk image ${path} does not exist on ${this.connector.endpoint} (libvirt's storage pool for ${dir} has no such volume)`,
        { path },
      );
    }
  }

  /** Stops the pools this locator started once no other backup in this process uses them. */
  async release(): Promise<void> {
    for (const key of this.held) {
      const entry = startedPools.get(key);
      if (!entry || --entry.users > 0) continue;
      startedPools.delete(key);
      try {
        await invoke(this.connector.rpc, STORAGE_POOL_DESTROY, { pool: entry.pool });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.log(`Could not stop the temporary storage pool ${entry.pool.name} (${message})`);
      }
    }
    this.held.clear();
  }

  private async startPool(dir: string): Promise<void> {
    const name = `hyperkeep-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`;
    const key = `${this.connector.endpoint}|${name}`;
    if (this.held.has(key)) return;
    const existing = startedPools.get(key);
    if (existing) {
      existing.users++;
      this.held.add(key);
      return;
    }
    const rpc = this.connector.rpc;
    const xml = `<pool type='dir'><name>${esc(name)}</name><target><path>${esc(dir)}</path></target></pool>`;
    try {
      const pool = await invoke(rpc, STORAGE_POOL_CREATE_XML, { xml });
      startedPools.set(key, { users: 1, pool });
      this.held.add(key);
      this.log(
        `Started temporary storage pool ${name} for ${dir} to read the disks through libvirt`,
      );
    } catch (err) {
      // Another process may have started it meanwhile: use it, leave stopping it to its owner.
      const running = await invoke(rpc, STORAGE_POOL_LOOKUP_BY_NAME, { name }).catch(() => null);
      if (running) return;
      const message = err instanceof Error ? err.message : String(err);
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `libvirt on ${this.connector.endpoint} has no storage pool for ${dir} and could not start one (${message}); ` +
          `define one (virsh pool-define-as NAME dir --target ${dir}) so powered-off VMs can be backed up`,
        { dir },
      );
    }
  }
}

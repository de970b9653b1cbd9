import type { RandomAccessReader } from '../../io/random-access';
import { BaseFileSystem, childPath } from '../base-filesystem';
import { ByteView, fsError } from '../binary';
import { BlockCache } from '../block-cache';
import type { VolumeSource } from '../extent-read';
import type { FileExtent, FsEntry } from '../filesystem';
import { parseFatBootSector, type FatGeometry } from './boot-sector';
import { FAT_ATTR, parseFatDirectory, type FatDirEntry } from './directory';
import { FatTable } from './fat-table';

const ROOT_ID = 0;
/** FAT directories hold at most 65536 entries of 32 bytes. */
const MAX_DIR_BYTES = 65536 * 32;

/** FAT12, FAT16 and FAT32 with VFAT long names. */
export class FatFileSystem extends BaseFileSystem {
  readonly kind = 'fat' as const;
  readonly variant: string;
  label?: string;
  readonly uuid?: string;
  readonly blockSize: number;
  readonly totalBytes: number;
  protected readonly caseInsensitive = true;
  protected readonly data: VolumeSource;
  private readonly cache: BlockCache;
  private readonly fat: FatTable;
  /** First cluster of every directory listed so far, keyed by entry id (for cycle checks). */
  private readonly dirClusters = new Map<number, number>();

  private constructor(
    private readonly reader: RandomAccessReader,
    private readonly geo: FatGeometry,
  ) {
    super();
    this.variant = `FAT${geo.bits}`;
    if (geo.bpbLabel) this.label = geo.bpbLabel;
    if (geo.volumeId) this.uuid = geo.volumeId;
    this.blockSize = geo.clusterSize;
    this.totalBytes = geo.totalBytes;
    this.data = reader;
    this.cache = new BlockCache(reader, 'FAT');
    this.fat = new FatTable(this.cache, geo);
  }

  static async open(reader: RandomAccessReader): Promise<FatFileSystem> {
    if (reader.size < 512) throw fsError('FAT', 'volume', `is too small (${reader.size} bytes)`);
    const fs = new FatFileSystem(
      reader,
      parseFatBootSector(await reader.read(0, 512), reader.size),
    );
    // The root's volume-label entry is what Windows and mtools show; the BPB copy may be stale.
    const { label } = parseFatDirectory(await fs.rootBytes(), 'root directory');
    if (label) fs.label = label;
    return fs;
  }

  async root(): Promise<FsEntry> {
    return { id: ROOT_ID, name: '', path: '/', type: 'dir', size: 0, nlink: 1, flags: noFlags() };
  }

  async listDir(dir: FsEntry): Promise<FsEntry[]> {
    let bytes: Uint8Array;
    let clusters: number[] = [];
    if (dir.id === ROOT_ID) {
      bytes = await this.rootBytes();
      if (this.geo.bits === 32) clusters = await this.rootChain();
    } else {
      const entry = await this.shortEntry(dir.id);
      if ((entry.attributes & FAT_ATTR.directory) === 0) {
        throw fsError('FAT', `directory entry of ${dir.path}`, 'does not describe a directory');
      }
      clusters = await this.dirChain(entry.firstCluster, dir.path);
      bytes = await this.readClusters(clusters, `directory ${dir.path}`);
    }
    const { entries } = parseFatDirectory(bytes, `directory ${dir.path}`);
    return entries.map((e) => {
      const id = this.volumeOffset(e.position, clusters);
      if ((e.attributes & FAT_ATTR.directory) !== 0) this.dirClusters.set(id, e.firstCluster);
      return this.toEntry(e, id, childPath(dir, e.name));
    });
  }

  protected override directoryKey(dir: FsEntry): number {
    if (dir.id === ROOT_ID) return this.geo.bits === 32 ? this.geo.rootCluster : 0;
    return this.dirClusters.get(dir.id) ?? -dir.id;
  }

  protected async mapExtents(entry: FsEntry): Promise<FileExtent[]> {
    if (entry.id === ROOT_ID || entry.type === 'dir') return [];
    const dirent = await this.shortEntry(entry.id);
    const { clusterSize } = this.geo;
    if (dirent.size === 0) return [];
    const needed = Math.ceil(dirent.size / clusterSize);
    const clusters = await this.fat.chain(dirent.firstCluster, needed, `file ${entry.path}`, true);
    const out: FileExtent[] = [];
    for (let i = 0; i < clusters.length; i++) {
      const fileOffset = i * clusterSize;
      const length = Math.min(clusterSize, dirent.size - fileOffset);
      const volumeOffset = this.fat.clusterOffset(clusters[i]!);
      const last = out[out.length - 1];
      // Merge clusters that follow each other on disk into one extent.
      if (
        last?.kind === 'data' &&
        last.volumeOffset + last.length === volumeOffset &&
        last.length % clusterSize === 0
      ) {
        last.length += length;
      } else {
        out.push({ kind: 'data', fileOffset, length, volumeOffset });
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.reader.close();
  }

  private toEntry(e: FatDirEntry, id: number, path: string): FsEntry {
    const isDir = (e.attributes & FAT_ATTR.directory) !== 0;
    const entry: FsEntry = {
      id,
      name: e.name,
      path,
      type: isDir ? 'dir' : 'file',
      size: isDir ? 0 : e.size,
      nlink: 1,
      attributes: e.attributes,
      flags: noFlags(),
    };
    if (e.modified) entry.mtime = e.modified;
    if (e.accessed) entry.atime = e.accessed;
    if (e.created) entry.birthtime = e.created;
    return entry;
  }

  /** Re-reads the 32-byte short entry an id points at (ids are volume offsets of entries). */
  private async shortEntry(id: number): Promise<FatDirEntry> {
    if (!Number.isInteger(id) || id < this.geo.rootDirOffset || id % 32 !== 0) {
      throw fsError('FAT', 'entry id', `${id} is not the position of a directory entry`);
    }
    const bytes = await this.cache.read(id, 32, `directory entry at byte ${id}`);
    const v = new ByteView(bytes, 'FAT', `directory entry at byte ${id}`);
    return {
      name: '',
      attributes: v.u8(11),
      firstCluster: v.u16(20) * 0x10000 + v.u16(26),
      size: v.u32(28),
      position: 0,
    };
  }

  private rootChain(): Promise<number[]> {
    return this.dirChain(this.geo.rootCluster, '/');
  }

  private dirChain(first: number, path: string): Promise<number[]> {
    const limit = Math.min(Math.ceil(MAX_DIR_BYTES / this.geo.clusterSize), this.geo.clusterCount);
    return this.fat.chain(first, limit, `directory ${path}`, false);
  }

  private async rootBytes(): Promise<Uint8Array> {
    if (this.geo.bits === 32) return this.readClusters(await this.rootChain(), 'root directory');
    return this.cache.read(this.geo.rootDirOffset, this.geo.rootDirBytes, 'root directory');
  }

  private async readClusters(clusters: number[], what: string): Promise<Uint8Array> {
    const { clusterSize } = this.geo;
    const out = new Uint8Array(clusters.length * clusterSize);
    for (let i = 0; i < clusters.length; i++) {
      out.set(
        await this.cache.read(this.fat.clusterOffset(clusters[i]!), clusterSize, what),
        i * clusterSize,
      );
    }
    return out;
  }

  /** Where byte `position` of a directory lies in the volume (its entry's id). */
  private volumeOffset(position: number, clusters: number[]): number {
    if (clusters.length === 0) return this.geo.rootDirOffset + position;
    const { clusterSize } = this.geo;
    return (
      this.fat.clusterOffset(clusters[Math.floor(position / clusterSize)]!) +
      (position % clusterSize)
    );
  }
}

function noFlags(): FsEntry['flags'] {
  return { sparse: false, compressed: false, encrypted: false };
}

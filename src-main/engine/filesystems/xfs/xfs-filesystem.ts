import { createHash } from 'node:crypto';
import type { RandomAccessReader } from '../../io/random-access';
import { BaseFileSystem, childPath } from '../base-filesystem';
import { ByteView, fsError } from '../binary';
import { BlockCache } from '../block-cache';
import { readFromExtents, type VolumeSource } from '../extent-read';
import type { FileExtent, FsEntry } from '../filesystem';
import type { InodeDeltaSupport, MetadataReadRecorder } from '../inode-delta';
import { mapBtree, mapExtentList, runsToExtents, type BmapSource, type XfsRun } from './bmap';
import {
  DIR_LEAF_OFFSET,
  decodeName,
  parseDataBlock,
  parseShortform,
  type XfsDirEntryRef,
} from './directory';
import { posixEntry } from '../posix-entry';
import { FORK_FORMAT, XFS_DIFLAG, checksumOk, inodeType, parseInode, type XfsInode } from './inode';
import {
  XFS_SUPERBLOCK_SIZE,
  inodeOffset,
  parseSuperblock,
  type XfsSuperblock,
} from './superblock';

/** Longest symlink target XFS allows (XFS_SYMLINK_MAXLEN). */
const MAX_SYMLINK = 1024;
/** v5 remote symlink blocks start with a header: magic 'XSLM', offset, byte count, crc, … */
const SYMLINK_MAGIC = 0x58534c4d;
const SYMLINK_HEADER = 56;
/** Parsed inodes kept for listDir → extents(), so a catalog walk parses each inode once. */
const INODE_CACHE_SIZE = 4096;
/** Longest a folder listing runs before letting the event loop serve others. */
const LIST_SLICE_MS = 10;

/** XFS (v5 and v4), read straight from the volume: the default file system of RHEL and kin. */
export class XfsFileSystem extends BaseFileSystem implements InodeDeltaSupport {
  readonly kind = 'xfs' as const;
  readonly rootId: number;
  readonly variant: string;
  readonly label?: string;
  readonly uuid: string;
  readonly blockSize: number;
  readonly totalBytes: number;
  readonly entriesInUse?: number;
  protected readonly caseInsensitive = false;
  protected readonly data: VolumeSource;
  private readonly cache: BlockCache;
  private readonly bmap: BmapSource;
  private readonly inodes = new Map<number, XfsInode>();
  /** Told of every metadata read made for an inode (see recordMetadataReads). */
  private metadataReads: MetadataReadRecorder | undefined;

  private constructor(
    private readonly reader: RandomAccessReader,
    private readonly sb: XfsSuperblock,
  ) {
    super();
    this.variant = `XFS v${sb.version}`;
    this.rootId = sb.rootIno;
    if (sb.label !== '') this.label = sb.label;
    this.uuid = sb.uuid;
    this.blockSize = sb.blockSize;
    this.totalBytes = sb.dataBlocks * sb.blockSize;
    if (sb.inodesInUse > 0) this.entriesInUse = sb.inodesInUse;
    this.data = reader;
    this.cache = new BlockCache(reader, 'XFS');
    this.bmap = {
      sb,
      readBlock: (block, what) => this.cache.read(block * sb.blockSize, sb.blockSize, what),
    };
  }

  static async open(reader: RandomAccessReader): Promise<XfsFileSystem> {
    if (reader.size < XFS_SUPERBLOCK_SIZE) {
      throw fsError('XFS', 'volume', `is too small for a superblock (${reader.size} bytes)`);
    }
    const head = await reader.read(0, XFS_SUPERBLOCK_SIZE);
    const sb = parseSuperblock(head, reader.size);
    if (sb.version === 5) {
      // The checksum covers the superblock's whole sector.
      const sectorSize = new ByteView(head, 'XFS', 'superblock').u16be(102);
      if (sectorSize < 512 || sectorSize > 32768 || sectorSize > reader.size) {
        throw fsError('XFS', 'superblock', `has an impossible sector size (${sectorSize} bytes)`);
      }
      const sector = sectorSize === head.length ? head : await reader.read(0, sectorSize);
      if (!checksumOk(sector, 224)) throw fsError('XFS', 'superblock', 'fails its checksum');
    }
    return new XfsFileSystem(reader, sb);
  }

  async root(): Promise<FsEntry> {
    const inode = await this.inode(this.sb.rootIno, 'superblock root inode');
    if (inodeType(inode.mode) !== 'dir') {
      throw fsError('XFS', `root inode ${inode.number}`, 'is not a directory');
    }
    return this.toEntry(inode, '', '/');
  }

  async listDir(dir: FsEntry): Promise<FsEntry[]> {
    const inode = await this.inode(dir.id, dir.path);
    if (inodeType(inode.mode) !== 'dir') {
      throw fsError('XFS', `inode ${dir.id} (${dir.path})`, 'is not a directory');
    }
    const refs = await this.readDirectory(inode);
    const entries: FsEntry[] = [];
    let sliceStart = performance.now();
    for (const ref of refs) {
      const name = decodeName(ref.name);
      const path = childPath(dir, name);
      const child = this.inodes.get(ref.inode) ?? (await this.inode(ref.inode, path));
      entries.push(await this.toEntry(child, name, path));
      if ((entries.length & 255) === 0 && performance.now() - sliceStart >= LIST_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    return entries;
  }

  protected async mapExtents(entry: FsEntry): Promise<FileExtent[]> {
    const inode = await this.inode(entry.id, entry.path);
    const ready = this.extentsInInode(inode);
    if (ready) return ready;
    if (inodeType(inode.mode) === 'symlink') {
      const target = await this.symlinkBytes(inode);
      return target.length === 0
        ? []
        : [{ kind: 'inline', fileOffset: 0, length: target.length, data: target }];
    }
    return runsToExtents(await this.mapRuns(inode), this.blockSize, inode.size);
  }

  /** Everything but btree-format files maps from the inode alone (see FileSystem). */
  override extentsIfReady(entry: FsEntry): FileExtent[] | undefined {
    const inode = this.inodes.get(entry.id);
    return inode && this.extentsInInode(inode);
  }

  async close(): Promise<void> {
    this.inodes.clear();
    await this.reader.close();
  }

  /**
   * InodeDeltaSupport (inode-delta.ts): the block map btree blocks, folder data blocks and
   * remote symlink blocks read for each inode; with the inode's own bytes, everything a listing
   * of it depends on.
   */
  recordMetadataReads(recorder: MetadataReadRecorder | undefined): void {
    this.metadataReads = recorder;
  }

  get inodeBytes(): number {
    return this.sb.inodeSize;
  }

  /** An inode's place follows from its number and the geometry: the superblock says it all. */
  walkFingerprint(): Promise<string> {
    const sb = this.sb;
    const geometry = [
      ...[sb.version, sb.blockSize, sb.dataBlocks, sb.realtimeBlocks, sb.uuid, sb.rootIno],
      ...[sb.agBlocks, sb.agCount, sb.agBlockLog, sb.inodeSize, sb.inodesPerBlockLog],
      ...[sb.dirBlockSize, sb.hasFtype, sb.hasBigtime, sb.hasNrext64],
    ];
    return Promise.resolve(
      createHash('sha256')
        .update(`xfs ${JSON.stringify(geometry)}`)
        .digest('hex'),
    );
  }

  inodeLocator(): Promise<(inode: number) => number> {
    return Promise.resolve((inode) => inodeOffset(this.sb, inode, 'a walk basis'));
  }

  /** The block source of inode `number`'s reads, told to the recorder when there is one. */
  private blocksFor(number: number): BmapSource {
    const recorder = this.metadataReads;
    if (!recorder) return this.bmap;
    return {
      sb: this.sb,
      readBlock: (block, what) => {
        recorder(number, block * this.blockSize, this.blockSize);
        return this.bmap.readBlock(block, what);
      },
    };
  }

  /** Extents that need no block read; undefined for btree forks and remote symlinks. */
  private extentsInInode(inode: XfsInode): FileExtent[] | undefined {
    const type = inodeType(inode.mode);
    if (type === 'other' || inode.size === 0) return [];
    if (inode.format === FORK_FORMAT.local) {
      const bytes = this.localBytes(inode);
      return [{ kind: 'inline', fileOffset: 0, length: bytes.length, data: bytes }];
    }
    if (type === 'symlink' || inode.format !== FORK_FORMAT.extents) return undefined;
    this.checkDataDevice(inode);
    const runs = mapExtentList(inode.dataFork, inode.nextents, this.sb, `inode ${inode.number}`);
    return runsToExtents(runs, this.blockSize, inode.size);
  }

  /** Data-fork runs of an extents- or btree-format inode. */
  private async mapRuns(inode: XfsInode): Promise<XfsRun[]> {
    this.checkDataDevice(inode);
    const what = `inode ${inode.number}`;
    switch (inode.format) {
      case FORK_FORMAT.extents:
        return mapExtentList(inode.dataFork, inode.nextents, this.sb, what);
      case FORK_FORMAT.btree:
        return mapBtree(this.blocksFor(inode.number), inode.dataFork, what);
      default:
        throw fsError('XFS', what, `has data fork format ${inode.format}, which holds no extents`);
    }
  }

  /** Realtime files keep their blocks on a separate device that a disk image does not include. */
  private checkDataDevice(inode: XfsInode): void {
    if ((inode.flags & XFS_DIFLAG.realtime) !== 0) {
      throw fsError(
        'XFS',
        `inode ${inode.number}`,
        'keeps its data on the realtime device, which is not part of this volume',
      );
    }
  }

  /** Content kept in the data fork itself (shortform directory, short symlink). */
  private localBytes(inode: XfsInode): Uint8Array {
    if (inode.size > inode.dataFork.length) {
      throw fsError(
        'XFS',
        `inode ${inode.number}`,
        `has ${inode.size} bytes of local data in a ${inode.dataFork.length}-byte fork`,
      );
    }
    return inode.dataFork.subarray(0, inode.size);
  }

  /** Reads and parses inode `number`; `what` says where the number came from, for errors. */
  private async inode(number: number, what: string): Promise<XfsInode> {
    const cached = this.inodes.get(number);
    if (cached) return cached;
    const offset = inodeOffset(this.sb, number, what);
    const size = this.sb.inodeSize;
    const bytes =
      this.cache.viewCached(offset, size) ??
      (await this.cache.read(offset, size, `inode ${number}`));
    const inode = parseInode(bytes, number, this.sb);
    this.inodes.set(number, inode);
    if (this.inodes.size > INODE_CACHE_SIZE) {
      const oldest = this.inodes.keys().next().value;
      if (oldest !== undefined) this.inodes.delete(oldest);
    }
    return inode;
  }

  private async readDirectory(inode: XfsInode): Promise<XfsDirEntryRef[]> {
    const what = `directory inode ${inode.number}`;
    if (inode.format === FORK_FORMAT.local) {
      return parseShortform(inode.dataFork, inode.size, this.sb, what);
    }
    // Only the data blocks hold entries; the hash and free indexes live from 32 GiB on.
    const runs = (await this.mapRuns(inode)).filter(
      (r) => !r.unwritten && r.logical * this.blockSize < DIR_LEAF_OFFSET,
    );
    if (runs.length === 0) return [];
    const last = runs[runs.length - 1]!;
    const dataEnd = Math.min(DIR_LEAF_OFFSET, (last.logical + last.count) * this.blockSize);
    const extents = runsToExtents(runs, this.blockSize, dataEnd);
    const dbs = this.sb.dirBlockSize;
    const recorder = this.metadataReads;
    const source: VolumeSource = {
      read: (offset, length) => {
        recorder?.(inode.number, offset, length);
        return this.cache.read(offset, length, what);
      },
    };
    const out: XfsDirEntryRef[] = [];
    let next = 0; // first directory block offset not read yet
    for (const extent of extents) {
      if (extent.kind !== 'data') continue;
      // Directory blocks whose first byte this extent maps (a block may span two extents).
      let start = Math.max(next, Math.ceil(extent.fileOffset / dbs) * dbs);
      for (; start < extent.fileOffset + extent.length; start += dbs) {
        if (start + dbs > dataEnd) {
          throw fsError('XFS', what, `has a directory block at ${start} cut short by its map`);
        }
        const bytes = await readFromExtents(source, extents, start, dbs);
        parseDataBlock(bytes, this.sb, inode.number, `${what} block at ${start}`, out);
      }
      next = start;
    }
    return out;
  }

  private async toEntry(inode: XfsInode, name: string, path: string): Promise<FsEntry> {
    const type = inodeType(inode.mode);
    const entry = posixEntry(inode, name, path, {
      sparse: type === 'file' && this.isSparse(inode),
      compressed: false,
      encrypted: false,
    });
    if (type === 'symlink') entry.symlinkTarget = decodeName(await this.symlinkBytes(inode));
    return entry;
  }

  /** Holes or unwritten ranges below the file size: exact from an extent list, else estimated. */
  private isSparse(inode: XfsInode): boolean {
    const needed = Math.ceil(inode.size / this.blockSize);
    if (inode.format === FORK_FORMAT.extents) {
      try {
        const runs = mapExtentList(
          inode.dataFork,
          inode.nextents,
          this.sb,
          `inode ${inode.number}`,
        );
        let written = 0;
        for (const r of runs) {
          if (!r.unwritten && r.logical < needed) written += Math.min(r.count, needed - r.logical);
        }
        return written < needed;
      } catch {
        return false; // reading the file reports the broken map
      }
    }
    return inode.format === FORK_FORMAT.btree && inode.nblocks < needed;
  }

  private async symlinkBytes(inode: XfsInode): Promise<Uint8Array> {
    const what = `symlink inode ${inode.number}`;
    if (inode.size > MAX_SYMLINK || inode.size === 0) {
      throw fsError('XFS', what, `has a ${inode.size}-byte target (1..${MAX_SYMLINK})`);
    }
    if (inode.format === FORK_FORMAT.local) return this.localBytes(inode).slice();
    const out = new Uint8Array(inode.size);
    let filled = 0;
    // A remote target spans at most a few blocks: each run is bounded by the 1 KiB maximum.
    const blocks = this.blocksFor(inode.number);
    for (const run of await this.mapRuns(inode)) {
      if (run.unwritten || run.count * this.blockSize > 64 * 1024) {
        throw fsError('XFS', what, 'has an impossible block map for a symlink');
      }
      for (let i = 0; i < run.count && filled < inode.size; i++) {
        const block = await blocks.readBlock(run.physical + i, what);
        let payload = block;
        if (this.sb.version === 5) {
          const v = new ByteView(block, 'XFS', `${what} block ${run.physical + i}`);
          if (v.u32be(0) !== SYMLINK_MAGIC) throw v.fail('has no symlink block magic (XSLM)');
          const offset = v.u32be(4);
          const bytes = v.u32be(8);
          if (offset !== filled || bytes > block.length - SYMLINK_HEADER) {
            throw v.fail(`holds bytes ${offset}..+${bytes} where ${filled} was expected`);
          }
          payload = v.sub(SYMLINK_HEADER, bytes);
        }
        const take = Math.min(payload.length, inode.size - filled);
        out.set(payload.subarray(0, take), filled);
        filled += take;
      }
    }
    if (filled !== inode.size) {
      throw fsError('XFS', what, `maps ${filled} of its ${inode.size} target bytes`);
    }
    return out;
  }
}

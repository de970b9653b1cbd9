import type { RandomAccessReader } from '../../io/random-access';
import { BaseFileSystem, childPath } from '../base-filesystem';
import { fsError } from '../binary';
import { BlockCache } from '../block-cache';
import type { VolumeSource } from '../extent-read';
import type { FileExtent, FsEntry, WalkOptions } from '../filesystem';
import {
  mapExtentRootLeaf,
  mapExtentTree,
  mapIndirect,
  runsToExtents,
  type BlockRun,
  type BlockSource,
} from './block-map';
import { decodeName, parseDirectoryRegion, type DirEntryRef } from './directory';
import { readAhead } from '../read-ahead';
import { FOLDER_READ_AHEAD, folderRuns } from './folder-preload';
import { INODE_FLAG, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type ExtInode } from './inode';
import type { InodeDeltaSupport, MetadataReadRecorder } from '../inode-delta';
import { entryOfInode } from './entry';
import { InodeTables } from './inode-tables';
import { extWalkFingerprint } from './walk-fingerprint';
import {
  INCOMPAT,
  SUPERBLOCK_OFFSET,
  SUPERBLOCK_SIZE,
  parseSuperblock,
  type ExtSuperblock,
} from './superblock';

const ROOT_INODE = 2;
/** Longest symlink target Linux accepts (PATH_MAX). */
const MAX_SYMLINK = 4096;
/** Directory blocks are read in batches of this size: big enough for few reads, bounded memory. */
const DIR_READ_BATCH = 1024 * 1024;
/** Folders up to this size are read through the block cache (see readDirectoryBlocks). */
const DIR_CACHED_BYTES = 16 * 1024;
/**
 * What a walk reads ahead before it starts (see walkFolders): the in-use part of the inode
 * tables (250k inodes at 256 bytes), then the blocks of the folders they describe.
 */
const WALK_INODE_TABLE_BYTES = 64 * 1024 * 1024;
const WALK_FOLDER_BYTES = 32 * 1024 * 1024;
/** Longest a folder listing runs before letting the event loop serve others. */
const LIST_SLICE_MS = 10;

/** ext2, ext3 and ext4, read straight from the volume's blocks. */
export class ExtFileSystem extends BaseFileSystem implements InodeDeltaSupport {
  readonly rootId = ROOT_INODE;
  readonly kind = 'ext' as const;
  readonly variant: string;
  readonly label?: string;
  readonly uuid: string;
  readonly blockSize: number;
  readonly totalBytes: number;
  readonly entriesInUse?: number;
  protected readonly caseInsensitive = false;
  protected readonly data: VolumeSource;
  private readonly cache: BlockCache;
  private readonly blocks: BlockSource;
  private readonly inodes: InodeTables;
  /** Folder blocks a walk read ahead, by `first block:count`, until listDir takes them. */
  private folderReads = new Map<string, Promise<Uint8Array>>();
  /** Told of every metadata block read on behalf of an inode (see recordMetadataReads). */
  private metadataReads: MetadataReadRecorder | undefined;

  private constructor(
    private readonly reader: RandomAccessReader,
    private readonly sb: ExtSuperblock,
  ) {
    super();
    this.variant = sb.variant;
    if (sb.label !== '') this.label = sb.label;
    this.uuid = sb.uuid;
    this.blockSize = sb.blockSize;
    this.totalBytes = sb.blocksCount * sb.blockSize;
    // The reserved inodes all count as used; of them only the root is listed.
    const used = sb.inodesCount - sb.freeInodesCount - (sb.firstIno - 1) + 1;
    if (used > 0 && sb.freeInodesCount <= sb.inodesCount) this.entriesInUse = used;
    this.data = reader;
    this.cache = new BlockCache(reader, 'ext');
    this.inodes = new InodeTables(this.cache, sb);
    this.blocks = {
      blockSize: sb.blockSize,
      blocksCount: sb.blocksCount,
      readBlock: (block, what) => this.cache.read(block * sb.blockSize, sb.blockSize, what),
    };
  }

  static async open(reader: RandomAccessReader): Promise<ExtFileSystem> {
    if (reader.size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) {
      throw fsError('ext', 'volume', `is too small for a superblock (${reader.size} bytes)`);
    }
    const sb = parseSuperblock(await reader.read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE), reader.size);
    return new ExtFileSystem(reader, sb);
  }

  async root(): Promise<FsEntry> {
    const inode = await this.inode(ROOT_INODE);
    if ((inode.mode & S_IFMT) !== S_IFDIR)
      throw fsError('ext', 'root inode 2', 'is not a directory');
    return this.toEntry(inode, '', '/');
  }

  /**
   * A walk parses every inode in use and lists every folder: it reads the inode tables whole
   * first, then every folder's blocks in disk order, many reads at a time. Listing folders in
   * tree order instead cost a round trip per folder (over NBD, most of a walk's time), and the
   * block cache's 64 KiB chunks read 8× the bytes: folders lie among file data.
   */
  override async *walkFolders(options: WalkOptions = {}): AsyncGenerator<FsEntry[]> {
    try {
      try {
        await this.inodes.preload(WALK_INODE_TABLE_BYTES);
        this.folderReads = readAhead(
          (offset, length) => this.reader.read(offset, length),
          await folderRuns(this.inodes.loadedTables(), this.sb, WALK_FOLDER_BYTES),
          FOLDER_READ_AHEAD,
        );
      } catch {
        // A damaged descriptor stops only the read-ahead: the walk reports it where it matters.
      }
      yield* super.walkFolders(options);
    } finally {
      this.inodes.unload();
      this.folderReads.clear();
    }
  }

  async listDir(dir: FsEntry): Promise<FsEntry[]> {
    const inode = await this.inode(dir.id);
    if ((inode.mode & S_IFMT) !== S_IFDIR)
      throw fsError('ext', `inode ${dir.id} (${dir.path})`, 'is not a directory');
    const refs = await this.readDirectory(inode);
    const entries: FsEntry[] = [];
    let sliceStart = performance.now();
    for (const ref of refs) {
      const name = decodeName(ref.name);
      // Without an await per child when its inode table block is cached (most of a walk).
      const child = this.inodeIfCached(ref.inode) ?? (await this.inode(ref.inode));
      const entry = entryOfInode(this.sb, child, name, childPath(dir, name));
      if (entry.type === 'symlink') entry.symlinkTarget = await this.symlinkTarget(child);
      entries.push(entry);
      // Inodes mostly come from the block cache without a real wait, so a folder of many
      // thousand files would otherwise hold the event loop for its whole listing.
      if ((entries.length & 255) === 0 && performance.now() - sliceStart >= LIST_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    return entries;
  }

  protected async mapExtents(entry: FsEntry): Promise<FileExtent[]> {
    const inode = await this.inode(entry.id);
    return (
      this.inlineExtents(inode) ??
      runsToExtents(await this.mapRuns(inode), this.blockSize, inode.size)
    );
  }

  /**
   * extents() without waiting when the inode was parsed moments before (a folder listing does)
   * and its whole map lives in it: inline data, or an extent tree of at most four extents (most
   * ext4 files). A catalog walk asks for tens of thousands of files, each a few promises on the
   * async path, which stays the reference (walkExtentNode) for everything else.
   */
  override extentsIfReady(entry: FsEntry): FileExtent[] | undefined {
    const inode = this.inodeIfCached(entry.id);
    if (!inode) return undefined;
    const inline = this.inlineExtents(inode);
    if (inline || (inode.flags & INODE_FLAG.extents) === 0) return inline;
    const needed = Math.ceil(inode.size / this.blockSize);
    const runs = mapExtentRootLeaf(this.sb.blocksCount, inode.iblock, inode.number, needed);
    return runs && runsToExtents(runs, this.blockSize, inode.size);
  }

  /** The extents of content stored in the inode itself; undefined when it lives in blocks. */
  private inlineExtents(inode: ExtInode): FileExtent[] | undefined {
    const inline = this.inlineBytes(inode);
    if (!inline) return undefined;
    return inline.length === 0
      ? []
      : [{ kind: 'inline', fileOffset: 0, length: inline.length, data: inline }];
  }

  async close(): Promise<void> {
    await this.reader.close();
  }

  /**
   * InodeDeltaSupport (inode-delta.ts): the extent tree and indirect blocks, folder blocks and
   * long symlink targets read for each inode. With the inode's own bytes these are everything a
   * listing of it depends on.
   */
  recordMetadataReads(recorder: MetadataReadRecorder | undefined): void {
    this.metadataReads = recorder;
  }

  get inodeBytes(): number {
    return this.sb.inodeSize;
  }

  async walkFingerprint(): Promise<string> {
    return extWalkFingerprint(this.sb, await this.inodes.tableLocations());
  }

  async inodeLocator(): Promise<(inode: number) => number> {
    const tables = await this.inodes.tableLocations();
    const { blockSize, inodesPerGroup, inodeSize } = this.sb;
    return (inode) =>
      tables[Math.floor((inode - 1) / inodesPerGroup)]! * blockSize +
      ((inode - 1) % inodesPerGroup) * inodeSize;
  }

  /**
   * Starts reading the first blocks of a folder the walk lists soon, so the chunks under them are
   * fetched and decoded while the walk's caller works; listDir then finds them cached. Only the
   * first read's worth: prefetching whole huge folders would evict what the walk needs now.
   */
  protected override prefetchDirectory(dir: FsEntry): void {
    const warm = async () => {
      const inode = await this.inode(dir.id);
      if ((inode.mode & S_IFMT) !== S_IFDIR || (inode.flags & INODE_FLAG.inlineData) !== 0) return;
      const run = (await this.mapRuns(inode)).find((r) => !r.unwritten);
      if (!run) return;
      const blocks = Math.min(run.count, Math.max(1, Math.floor(DIR_READ_BATCH / this.blockSize)));
      if (this.folderReads.has(`${run.physical}:${blocks}`)) return; // read ahead already
      await this.readDirectoryBlocks(run.physical, blocks, `directory inode ${inode.number}`);
    };
    warm().catch(() => undefined);
  }

  /** Reads inode `number` (1-based) from its group's inode table. */
  inode(number: number): Promise<ExtInode> {
    return this.inodes.inode(number);
  }

  private inodeIfCached(number: number): ExtInode | undefined {
    return this.inodes.ifCached(number);
  }

  private mapRuns(inode: ExtInode): Promise<BlockRun[]> {
    const needed = Math.ceil(inode.size / this.blockSize);
    const recorder = this.metadataReads;
    const blocks: BlockSource = recorder
      ? {
          ...this.blocks,
          readBlock: (block, what) => {
            recorder(inode.number, block * this.blockSize, this.blockSize);
            return this.blocks.readBlock(block, what);
          },
        }
      : this.blocks;
    if ((inode.flags & INODE_FLAG.extents) !== 0) {
      return mapExtentTree(blocks, inode.iblock, inode.number, needed);
    }
    return mapIndirect(blocks, inode.iblock, inode.number, needed);
  }

  /** Content stored inside the inode (inline data, fast symlink), or undefined if in blocks. */
  private inlineBytes(inode: ExtInode): Uint8Array | undefined {
    if ((inode.flags & INODE_FLAG.inlineData) !== 0) {
      const tail = inode.inlineTail ?? new Uint8Array(0);
      if (inode.size > 60 + tail.length) {
        throw fsError(
          'ext',
          `inode ${inode.number}`,
          `has ${inode.size} bytes but only ${60 + tail.length} inline`,
        );
      }
      const all = new Uint8Array(60 + tail.length);
      all.set(inode.iblock);
      all.set(tail, 60);
      return all.subarray(0, inode.size);
    }
    if (this.isFastSymlink(inode)) return inode.iblock.subarray(0, inode.size);
    if (
      (inode.mode & S_IFMT) !== S_IFREG &&
      (inode.mode & S_IFMT) !== S_IFDIR &&
      (inode.mode & S_IFMT) !== S_IFLNK
    ) {
      return new Uint8Array(0); // devices, fifos, sockets: i_block holds no data
    }
    return undefined;
  }

  /** Fast symlinks keep the target in i_block and own no data blocks (the kernel's own test). */
  private isFastSymlink(inode: ExtInode): boolean {
    if ((inode.mode & S_IFMT) !== S_IFLNK) return false;
    const xattrBytes = inode.fileAcl !== 0 ? this.sb.clusterSize : 0;
    if (inode.allocatedBytes - xattrBytes !== 0) return false;
    if (inode.size >= 60)
      throw fsError(
        'ext',
        `symlink inode ${inode.number}`,
        `owns no blocks but is ${inode.size} bytes long`,
      );
    return true;
  }

  private async readDirectory(inode: ExtInode): Promise<DirEntryRef[]> {
    const hasFileType = (this.sb.featureIncompat & INCOMPAT.filetype) !== 0;
    const out: DirEntryRef[] = [];
    const what = `directory inode ${inode.number}`;
    if ((inode.flags & INODE_FLAG.inlineData) !== 0) {
      // Inline directory: 4 bytes of parent inode number, then entries; more in system.data.
      const bytes = this.inlineBytes(inode)!;
      if (bytes.length > 4)
        parseDirectoryRegion(
          bytes.subarray(4, Math.min(60, bytes.length)),
          what,
          hasFileType,
          this.blockSize,
          out,
        );
      if (bytes.length > 60)
        parseDirectoryRegion(
          bytes.subarray(60),
          `${what} inline tail`,
          hasFileType,
          this.blockSize,
          out,
        );
      return out;
    }
    const bs = this.blockSize;
    for (const run of await this.mapRuns(inode)) {
      if (run.unwritten) continue;
      this.metadataReads?.(inode.number, run.physical * bs, run.count * bs);
      const batchBlocks = Math.max(1, Math.floor(DIR_READ_BATCH / bs));
      for (let i = 0; i < run.count; i += batchBlocks) {
        const n = Math.min(batchBlocks, run.count - i);
        const bytes = await this.readDirectoryBlocks(run.physical + i, n, what);
        for (let b = 0; b < n; b++) {
          const logical = run.logical + i + b;
          parseDirectoryRegion(
            bytes.subarray(b * bs, (b + 1) * bs),
            `${what} block ${logical}`,
            hasFileType,
            bs,
            out,
          );
        }
      }
    }
    return out;
  }

  /**
   * Blocks of a folder: from the walk's read-ahead when it has them (should that read have
   * failed, they are read again here, which reports). Otherwise small folders (most: one block
   * each) through the block cache, so a walk reads 64 KiB at a time instead of a request per
   * folder; big folders with a read of their own, which would only evict what the walk reuses.
   */
  private readDirectoryBlocks(first: number, count: number, what: string): Promise<Uint8Array> {
    const bs = this.blockSize;
    const readNow = (): Promise<Uint8Array> =>
      count * bs <= DIR_CACHED_BYTES
        ? this.cache.read(first * bs, count * bs, what)
        : this.reader.read(first * bs, count * bs);
    const key = `${first}:${count}`;
    const ahead = this.folderReads.get(key);
    if (!ahead) return readNow();
    this.folderReads.delete(key);
    return ahead.catch(readNow);
  }

  private async toEntry(inode: ExtInode, name: string, path: string): Promise<FsEntry> {
    const entry = entryOfInode(this.sb, inode, name, path);
    if (entry.type === 'symlink') entry.symlinkTarget = await this.symlinkTarget(inode);
    return entry;
  }

  private async symlinkTarget(inode: ExtInode): Promise<string> {
    if (inode.size > MAX_SYMLINK) {
      throw fsError(
        'ext',
        `symlink inode ${inode.number}`,
        `has a ${inode.size}-byte target (over ${MAX_SYMLINK})`,
      );
    }
    const inline = this.inlineBytes(inode);
    if (inline) return decodeName(inline);
    const extents = runsToExtents(await this.mapRuns(inode), this.blockSize, inode.size);
    const bytes = new Uint8Array(inode.size);
    for (const extent of extents) {
      if (extent.kind !== 'data') continue;
      this.metadataReads?.(inode.number, extent.volumeOffset, extent.length);
      bytes.set(await this.reader.read(extent.volumeOffset, extent.length), extent.fileOffset);
    }
    return decodeName(bytes);
  }
}

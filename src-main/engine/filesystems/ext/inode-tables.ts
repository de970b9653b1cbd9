import { fsError } from '../binary';
import type { BlockCache } from '../block-cache';
import { readAhead, type WantedRange } from '../read-ahead';
import { parseInode, type ExtInode } from './inode';
import { INCOMPAT, RO_COMPAT, groupHasSuperblock, type ExtSuperblock } from './superblock';

/**
 * Inodes kept parsed (a power of two): a walk lists a folder (parsing its children's inodes),
 * then asks for the extents of each child file, which needs the same inodes again.
 */
const PARSED_INODES = 8192;
/** bg_flags: the group's inode table was never written (no inode of it is in use). */
const BG_INODE_UNINIT = 0x1;
/** One read of a preload: big enough for few requests, small enough to overlap several. */
const PRELOAD_READ_BYTES = 4 * 1024 * 1024;
const PRELOAD_READS_IN_FLIGHT = 4;

/** What a walk needs of a group descriptor. */
interface GroupTable {
  /** First block of the group's inode table. */
  table: number;
  /** Inodes at the start of the table that may be in use (the rest were never initialised). */
  used: number;
}

/** Where each inode of an ext file system lives, and the recently parsed ones. */
export class InodeTables {
  /** Inode table of each group, read from its descriptor on first use. */
  private readonly tables = new Map<number, GroupTable>();
  /** The in-use part of each group's inode table, read whole for a walk (see preload). */
  private readonly loaded = new Map<number, Uint8Array>();
  /**
   * Recently parsed inodes, slot `number % PARSED_INODES` (read-only: they never change). A
   * folder's children mostly have neighbouring numbers, so they rarely evict each other.
   */
  private readonly parsed = new Array<ExtInode | undefined>(PARSED_INODES);

  constructor(
    private readonly cache: BlockCache,
    private readonly sb: ExtSuperblock,
  ) {}

  /** Reads inode `number` (1-based) from its group's inode table. */
  async inode(number: number): Promise<ExtInode> {
    const ready = this.ifCached(number);
    if (ready) return ready;
    const { inodesCount, inodesPerGroup, inodeSize, blockSize } = this.sb;
    if (!Number.isInteger(number) || number < 1 || number > inodesCount) {
      throw fsError(
        'ext',
        'directory entry',
        `names inode ${number}, out of range (1..${inodesCount})`,
      );
    }
    const group = Math.floor((number - 1) / inodesPerGroup);
    const { table } = await this.inodeTable(group);
    const offset = table * blockSize + ((number - 1) % inodesPerGroup) * inodeSize;
    const bytes = await this.cache.read(offset, inodeSize, `inode ${number}`);
    return this.remember(parseInode(bytes, number, this.sb));
  }

  /**
   * Inode `number` without waiting: parsed before, or in a cached inode table block; undefined
   * when it needs a read (or is out of range: `inode` reports that).
   */
  ifCached(number: number): ExtInode | undefined {
    const parsed = this.parsed[number & (PARSED_INODES - 1)];
    if (parsed?.number === number) return parsed;
    const { inodesCount, inodesPerGroup, inodeSize, blockSize } = this.sb;
    if (!Number.isInteger(number) || number < 1 || number > inodesCount) return undefined;
    const group = Math.floor((number - 1) / inodesPerGroup);
    const inGroup = ((number - 1) % inodesPerGroup) * inodeSize;
    const whole = this.loaded.get(group);
    if (whole && inGroup + inodeSize <= whole.length)
      return this.remember(
        parseInode(whole.subarray(inGroup, inGroup + inodeSize), number, this.sb),
      );
    const table = this.tables.get(group)?.table;
    if (table === undefined) return undefined;
    const offset = table * blockSize + inGroup;
    // parseInode copies what it keeps, so parsing straight from the cache is safe.
    const bytes = this.cache.viewCached(offset, inodeSize);
    return bytes ? this.remember(parseInode(bytes, number, this.sb)) : undefined;
  }

  private remember(inode: ExtInode): ExtInode {
    this.parsed[inode.number & (PARSED_INODES - 1)] = inode;
    return inode;
  }

  /**
   * Reads the in-use part of every group's inode table, up to `budgetBytes` in all, in a few
   * large reads: a walk parses every inode anyway, and through the block cache it read them
   * 64 KiB at a time, interleaved with folder reads that evicted them (over NBD: a round trip
   * per chunk). Groups the descriptors call unused are skipped, which is what keeps this small;
   * an inode past what was loaded (a descriptor that lies) is still read the usual way.
   */
  async preload(budgetBytes: number): Promise<void> {
    const { groupCount, inodeSize, blockSize } = this.sb;
    const ranges: WantedRange<number>[] = [];
    let total = 0;
    for (let group = 0; group < groupCount; group++) {
      const { table, used } = await this.inodeTable(group);
      const length = used * inodeSize;
      if (length === 0) continue;
      if (total + length > budgetBytes) break;
      total += length;
      ranges.push({ key: group, offset: table * blockSize, length });
    }
    // With flex_bg the tables of many groups lie end to end: one read covers several.
    const tables = readAhead(
      (offset, length) => this.cache.read(offset, length, 'inode tables'),
      ranges,
      { mergeGap: 0, maxRead: PRELOAD_READ_BYTES, inFlight: PRELOAD_READS_IN_FLIGHT },
    );
    for (const [group, bytes] of tables) this.loaded.set(group, await bytes);
  }

  /** The in-use part of the inode table of each group preload read. */
  loadedTables(): ReadonlyMap<number, Uint8Array> {
    return this.loaded;
  }

  /**
   * First block of every group's inode table, in group order: where every inode lives. A delta
   * walk (ext-delta.ts) compares them with its basis point's, so that the same inode number
   * means the same bytes on the disk in both points.
   */
  async tableLocations(): Promise<number[]> {
    const out: number[] = [];
    for (let group = 0; group < this.sb.groupCount; group++)
      out.push((await this.inodeTable(group)).table);
    return out;
  }

  /** Forgets what preload read. */
  unload(): void {
    this.loaded.clear();
  }

  private async inodeTable(group: number): Promise<GroupTable> {
    const known = this.tables.get(group);
    if (known !== undefined) return known;
    const { blockSize, descSize, firstDataBlock, blocksPerGroup, blocksCount } = this.sb;
    const perBlock = blockSize / descSize;
    const descBlock = Math.floor(group / perBlock);
    let block = firstDataBlock + 1 + descBlock;
    // meta_bg: later descriptor blocks live at the start of their own group of groups.
    if ((this.sb.featureIncompat & INCOMPAT.metaBg) !== 0 && descBlock >= this.sb.firstMetaBg) {
      const first = descBlock * perBlock;
      block =
        firstDataBlock + first * blocksPerGroup + (groupHasSuperblock(this.sb, first) ? 1 : 0);
    }
    const what = `group descriptor ${group}`;
    const desc = await this.cache.read(
      block * blockSize + (group % perBlock) * descSize,
      descSize,
      what,
    );
    const view = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
    const wide = descSize >= 64;
    const table = view.getUint32(8, true) + (wide ? view.getUint32(0x28, true) * 2 ** 32 : 0);
    const { inodesPerGroup } = this.sb;
    const tableBlocks = Math.ceil((inodesPerGroup * this.sb.inodeSize) / blockSize);
    if (table === 0 || table + tableBlocks > blocksCount) {
      throw fsError('ext', what, `puts the inode table at block ${table}, outside the file system`);
    }
    // Only checksummed descriptors say how much of the table is in use (mke2fs and the kernel
    // keep bg_itable_unused and INODE_UNINIT up to date there); otherwise all of it may be.
    let used = inodesPerGroup;
    if ((this.sb.featureRoCompat & (RO_COMPAT.gdtCsum | RO_COMPAT.metadataCsum)) !== 0) {
      const unused = view.getUint16(0x1c, true) + (wide ? view.getUint16(0x32, true) * 0x10000 : 0);
      used =
        (view.getUint16(0x12, true) & BG_INODE_UNINIT) !== 0
          ? 0
          : inodesPerGroup - Math.min(unused, inodesPerGroup);
    }
    const found = { table, used };
    this.tables.set(group, found);
    return found;
  }
}

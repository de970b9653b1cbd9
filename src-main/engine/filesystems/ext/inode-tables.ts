import { fsError } from '../binary';
import type { BlockCache } from '../block-cache';
import { parseInode, type ExtInode } from './inode';
import { INCOMPAT, groupHasSuperblock, type ExtSuperblock } from './superblock';

/**
 * Inodes kept parsed (a power of two): a walk lists a folder (parsing its children's inodes),
 * then asks for the extents of each child file, which needs the same inodes again.
 */
const PARSED_INODES = 8192;

/** Where each inode of an ext file system lives, and the recently parsed ones. */
export class InodeTables {
  /** Inode table block of each group, read from its descriptor on first use. */
  private readonly tables = new Map<number, number>();
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
    const table = await this.inodeTable(group);
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
    const table = this.tables.get(Math.floor((number - 1) / inodesPerGroup));
    if (table === undefined) return undefined;
    const offset = table * blockSize + ((number - 1) % inodesPerGroup) * inodeSize;
    // parseInode copies what it keeps, so parsing straight from the cache is safe.
    const bytes = this.cache.viewCached(offset, inodeSize);
    return bytes ? this.remember(parseInode(bytes, number, this.sb)) : undefined;
  }

  private remember(inode: ExtInode): ExtInode {
    this.parsed[inode.number & (PARSED_INODES - 1)] = inode;
    return inode;
  }

  private async inodeTable(group: number): Promise<number> {
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
    const table =
      view.getUint32(8, true) + (descSize >= 64 ? view.getUint32(0x28, true) * 2 ** 32 : 0);
    const tableBlocks = Math.ceil((this.sb.inodesPerGroup * this.sb.inodeSize) / blockSize);
    if (table === 0 || table + tableBlocks > blocksCount) {
      throw fsError('ext', what, `puts the inode table at block ${table}, outside the file system`);
    }
    this.tables.set(group, table);
    return table;
  }
}

import { ByteView } from '../binary';
import type { BlockRun } from '../block-runs';

export { runsToExtents } from '../block-runs';
import { linearBlock, type XfsSuperblock } from './superblock';

/** physical: the linear block in the volume (AG number × AG size + AG block). */
export type XfsRun = BlockRun;

export interface BmapSource {
  sb: XfsSuperblock;
  readBlock(linear: number, what: string): Promise<Uint8Array>;
}

/** Each bmbt record is 128 bits; a key 8 bytes; a pointer 8 bytes. */
const REC_SIZE = 16;
const BMBT_MAGIC_V5 = 0x424d4133; // 'BMA3'
const BMBT_MAGIC_V4 = 0x424d4150; // 'BMAP'
const LONG_HEADER_V5 = 72;
const LONG_HEADER_V4 = 24;
/** The kernel's bmbt is at most 9 levels deep for 2^64 extents; deeper means corrupt. */
const MAX_BTREE_LEVEL = 10;
/** Bounds on a file's map: more than this is a corrupt (looping or exploding) tree. */
const MAX_RUNS = 1 << 20;
const MAX_TREE_NODES = 1 << 16;
const MASK9 = (1n << 9n) - 1n;
const MASK21 = (1n << 21n) - 1n;
const MASK54 = (1n << 54n) - 1n;

/**
 * Decodes the packed bmbt records at `from` in `v`: bit 127 the unwritten flag, 54 bits of file
 * offset, 52 bits of file-system block (AG number << agBlockLog | AG block), 21 bits of length.
 */
function addRecords(
  v: ByteView,
  from: number,
  count: number,
  sb: XfsSuperblock,
  runs: XfsRun[],
): void {
  for (let i = 0; i < count; i++) {
    const at = from + i * REC_SIZE;
    const l0 = v.u64bigbe(at);
    const l1 = v.u64bigbe(at + 8);
    const unwritten = l0 >> 63n === 1n;
    const logicalBig = (l0 >> 9n) & MASK54;
    const fsbBig = ((l0 & MASK9) << 43n) | (l1 >> 21n);
    const count = Number(l1 & MASK21);
    if (logicalBig + BigInt(count) > 2n ** 52n) {
      throw v.fail(`has an extent at an impossible file offset (block ${logicalBig})`);
    }
    const logical = Number(logicalBig);
    const physical = linearBlock(sb, Number(fsbBig), count, `${v.structure} extent ${i}`);
    const last = runs[runs.length - 1];
    if (last && logical < last.logical + last.count) {
      throw v.fail(`has overlapping or unordered extents at file block ${logical}`);
    }
    if (runs.length >= MAX_RUNS) throw v.fail(`maps more than ${MAX_RUNS} extents`);
    runs.push({ logical, physical, count, unwritten });
  }
}

/** The extents of an extents-format fork: `nextents` records straight in the inode. */
export function mapExtentList(
  fork: Uint8Array,
  nextents: number,
  sb: XfsSuperblock,
  what: string,
): XfsRun[] {
  const v = new ByteView(fork, 'XFS', `${what} extent list`);
  if (nextents * REC_SIZE > fork.length) {
    throw v.fail(`claims ${nextents} extents but its fork holds ${fork.length} bytes`);
  }
  const runs: XfsRun[] = [];
  addRecords(v, 0, nextents, sb, runs);
  return runs;
}

/**
 * The extents of a btree-format fork. The root (xfs_bmdr_block) lives in the inode: level,
 * record count, then as many keys as fit, then the child pointers. Below it, long-format bmbt
 * blocks; leaves (level 0) hold the extent records.
 */
export async function mapBtree(src: BmapSource, fork: Uint8Array, what: string): Promise<XfsRun[]> {
  const v = new ByteView(fork, 'XFS', `${what} bmbt root`);
  const level = v.u16be(0);
  const numrecs = v.u16be(2);
  const maxrecs = Math.floor((fork.length - 4) / REC_SIZE);
  if (level === 0 || level > MAX_BTREE_LEVEL)
    throw v.fail(`has btree level ${level} (1..${MAX_BTREE_LEVEL})`);
  if (numrecs === 0 || numrecs > maxrecs) throw v.fail(`claims ${numrecs} of ${maxrecs} pointers`);
  const runs: XfsRun[] = [];
  const budget = { nodes: MAX_TREE_NODES };
  for (let i = 0; i < numrecs; i++) {
    const ptr = v.u64be(4 + maxrecs * 8 + i * 8, 'a btree pointer');
    await walkBtreeBlock(src, ptr, level - 1, runs, budget, `${what} bmbt`);
  }
  return runs;
}

async function walkBtreeBlock(
  src: BmapSource,
  fsb: number,
  level: number,
  runs: XfsRun[],
  budget: { nodes: number },
  what: string,
): Promise<void> {
  const { sb } = src;
  const block = linearBlock(sb, fsb, 1, `${what} pointer`);
  const structure = `${what} block ${block}`;
  if (--budget.nodes < 0)
    throw new ByteView(new Uint8Array(0), 'XFS', what).fail('has too many blocks');
  const v = new ByteView(await src.readBlock(block, structure), 'XFS', structure);
  const magic = v.u32be(0);
  if (magic !== (sb.version === 5 ? BMBT_MAGIC_V5 : BMBT_MAGIC_V4)) {
    throw v.fail(`has magic 0x${magic.toString(16)} instead of a bmbt block's`);
  }
  const blockLevel = v.u16be(4);
  const numrecs = v.u16be(6);
  if (blockLevel !== level) throw v.fail(`is at level ${blockLevel} instead of ${level}`);
  const header = sb.version === 5 ? LONG_HEADER_V5 : LONG_HEADER_V4;
  if (sb.version === 5 && v.u64be(24, 'a block number') !== block * (sb.blockSize / 512)) {
    throw v.fail('does not name its own location (misdirected or corrupt block)');
  }
  const maxrecs = Math.floor((sb.blockSize - header) / REC_SIZE);
  if (numrecs === 0 || numrecs > maxrecs) throw v.fail(`claims ${numrecs} of ${maxrecs} entries`);
  if (level === 0) {
    addRecords(v, header, numrecs, sb, runs);
    return;
  }
  for (let i = 0; i < numrecs; i++) {
    const ptr = v.u64be(header + maxrecs * 8 + i * 8, 'a btree pointer');
    await walkBtreeBlock(src, ptr, level - 1, runs, budget, what);
  }
}

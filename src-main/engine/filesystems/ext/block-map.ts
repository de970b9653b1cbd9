import { ByteView } from '../binary';
import type { BlockRun } from '../block-runs';

export { runsToExtents, type BlockRun } from '../block-runs';

export interface BlockSource {
  blockSize: number;
  blocksCount: number;
  readBlock(block: number, what: string): Promise<Uint8Array>;
}

const EXTENT_MAGIC = 0xf30a;
/** The kernel never builds deeper trees; a deeper one is corrupt (and could loop). */
const MAX_EXTENT_DEPTH = 5;
/** More runs than this in one file means a corrupt map (and would exhaust memory). */
const MAX_RUNS = 1 << 20;
/** A 1M-extent file needs ~3k leaves; more tree nodes than this is a corrupt (looping) tree. */
const MAX_TREE_NODES = 1 << 16;

/** Maps the logical blocks [0, neededBlocks) of a file through its ext4 extent tree. */
export async function mapExtentTree(
  src: BlockSource,
  root: Uint8Array,
  inode: number,
  neededBlocks: number,
): Promise<BlockRun[]> {
  const runs: BlockRun[] = [];
  const budget = { nodes: MAX_TREE_NODES };
  await walkExtentNode(
    src,
    new ByteView(root, 'ext', `inode ${inode} extent root`),
    -1,
    runs,
    neededBlocks,
    budget,
  );
  return runs;
}

/**
 * mapExtentTree without waiting, for the common tree whose root (in the inode) is a leaf: all of
 * a file's extents fit in i_block (up to four). Undefined when the tree has nodes to read.
 */
export function mapExtentRootLeaf(
  blocksCount: number,
  root: Uint8Array,
  inode: number,
  neededBlocks: number,
): BlockRun[] | undefined {
  const v = new ByteView(root, 'ext', `inode ${inode} extent root`);
  const { entries, depth } = extentHeader(v, -1, { nodes: MAX_TREE_NODES });
  if (depth !== 0) return undefined;
  const runs: BlockRun[] = [];
  addLeafRuns(v, entries, runs, neededBlocks, blocksCount);
  return runs;
}

/** Checks an extent tree node's header against its bytes and the tree's bounds. */
function extentHeader(
  v: ByteView,
  expectedDepth: number,
  budget: { nodes: number },
): { entries: number; depth: number } {
  if (v.u16(0) !== EXTENT_MAGIC) throw v.fail('has no extent header (magic 0xf30a)');
  const entries = v.u16(2);
  const max = v.u16(4);
  const depth = v.u16(6);
  if (depth > MAX_EXTENT_DEPTH || (expectedDepth >= 0 && depth !== expectedDepth)) {
    throw v.fail(
      `has extent tree depth ${depth} (expected ${expectedDepth < 0 ? '≤ 5' : expectedDepth})`,
    );
  }
  if (entries > max || 12 + max * 12 > v.length) {
    throw v.fail(`claims ${entries} of ${max} extent entries in ${v.length} bytes`);
  }
  if (--budget.nodes < 0) throw v.fail('belongs to an extent tree with too many nodes');
  return { entries, depth };
}

/** The runs of a leaf node's entries, in order, up to the file's last needed block. */
function addLeafRuns(
  v: ByteView,
  entries: number,
  runs: BlockRun[],
  neededBlocks: number,
  blocksCount: number,
): void {
  for (let i = 0; i < entries; i++) {
    const at = 12 + i * 12;
    const logical = v.u32(at);
    if (logical >= neededBlocks) break; // preallocated past the end of the file: not content
    let count = v.u16(at + 4);
    const unwritten = count > 32768;
    if (unwritten) count -= 32768;
    const physical = v.u16(at + 6) * 2 ** 32 + v.u32(at + 8);
    checkRange(v, physical, count, blocksCount);
    const last = runs[runs.length - 1];
    if (last && logical < last.logical + last.count) {
      throw v.fail(`has overlapping or unordered extents at logical block ${logical}`);
    }
    pushRun(v, runs, { logical, physical, count, unwritten });
  }
}

async function walkExtentNode(
  src: BlockSource,
  v: ByteView,
  expectedDepth: number,
  runs: BlockRun[],
  neededBlocks: number,
  budget: { nodes: number },
): Promise<void> {
  const { entries, depth } = extentHeader(v, expectedDepth, budget);
  if (depth === 0) {
    addLeafRuns(v, entries, runs, neededBlocks, src.blocksCount);
    return;
  }
  for (let i = 0; i < entries; i++) {
    const at = 12 + i * 12;
    const logical = v.u32(at);
    if (logical >= neededBlocks) break; // preallocated past the end of the file: not content
    const child = v.u16(at + 8) * 2 ** 32 + v.u32(at + 4);
    checkRange(v, child, 1, src.blocksCount);
    const what = `extent tree node at block ${child} (under ${v.structure})`;
    const bytes = await src.readBlock(child, what);
    await walkExtentNode(
      src,
      new ByteView(bytes, 'ext', what),
      depth - 1,
      runs,
      neededBlocks,
      budget,
    );
  }
}

/** Maps the logical blocks [0, neededBlocks) through ext2/3 direct and indirect block pointers. */
export async function mapIndirect(
  src: BlockSource,
  iblock: Uint8Array,
  inode: number,
  neededBlocks: number,
): Promise<BlockRun[]> {
  const runs: BlockRun[] = [];
  const v = new ByteView(iblock, 'ext', `inode ${inode} block map`);
  const perBlock = src.blockSize / 4;
  for (let i = 0; i < 12 && i < neededBlocks; i++) addPointer(v, runs, i, v.u32(i * 4), src);
  let start = 12;
  for (let level = 1; level <= 3 && start < neededBlocks; level++) {
    const pointer = v.u32((11 + level) * 4);
    if (pointer !== 0) await walkIndirect(src, v, pointer, level, start, neededBlocks, runs);
    start += perBlock ** level;
  }
  return runs;
}

async function walkIndirect(
  src: BlockSource,
  owner: ByteView,
  block: number,
  level: number,
  start: number,
  neededBlocks: number,
  runs: BlockRun[],
): Promise<void> {
  checkRange(owner, block, 1, src.blocksCount);
  const what = `level-${level} indirect block ${block} of ${owner.structure}`;
  const v = new ByteView(await src.readBlock(block, what), 'ext', what);
  const perBlock = src.blockSize / 4;
  const span = perBlock ** (level - 1);
  for (let i = 0; i < perBlock; i++) {
    const logical = start + i * span;
    if (logical >= neededBlocks) break;
    const pointer = v.u32(i * 4);
    if (pointer === 0) continue; // a hole: nothing below it is allocated
    if (level === 1) addPointer(v, runs, logical, pointer, src);
    else await walkIndirect(src, v, pointer, level - 1, logical, neededBlocks, runs);
  }
}

function addPointer(
  v: ByteView,
  runs: BlockRun[],
  logical: number,
  physical: number,
  src: BlockSource,
): void {
  if (physical === 0) return;
  checkRange(v, physical, 1, src.blocksCount);
  pushRun(v, runs, { logical, physical, count: 1, unwritten: false });
}

/** Appends a run, merging it with the previous one when both are contiguous on disk. */
function pushRun(v: ByteView, runs: BlockRun[], run: BlockRun): void {
  const last = runs[runs.length - 1];
  if (
    last &&
    last.unwritten === run.unwritten &&
    last.logical + last.count === run.logical &&
    last.physical + last.count === run.physical
  ) {
    last.count += run.count;
    return;
  }
  if (runs.length >= MAX_RUNS) throw v.fail(`maps more than ${MAX_RUNS} separate runs`);
  runs.push(run);
}

function checkRange(v: ByteView, block: number, count: number, blocksCount: number): void {
  if (block === 0 || block + count > blocksCount) {
    throw v.fail(
      `points at blocks ${block}..${block + count} outside the file system (${blocksCount} blocks)`,
    );
  }
}

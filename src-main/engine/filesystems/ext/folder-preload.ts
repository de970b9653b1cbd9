import type { ReadAheadOptions, WantedRange } from '../read-ahead';
import { mapExtentRootLeaf } from './block-map';
import { INODE_FLAG, S_IFDIR, S_IFMT } from './inode';

/** Folders larger than this are left to the walk's own reads (they are few and read in bulk). */
const MAX_FOLDER_BYTES = 64 * 1024;
/**
 * How folder blocks are read ahead: neighbours within 32 KiB together, and 32 requests on the
 * wire, since over NBD a round trip (~0.7 ms here) costs more than a 4 KiB read.
 */
export const FOLDER_READ_AHEAD: ReadAheadOptions = {
  mergeGap: 32 * 1024,
  maxRead: 1024 * 1024,
  inFlight: 32,
};
/** Longest the scan of the inode tables runs before letting the event loop serve others. */
const SLICE_MS = 10;

/** A run of folder blocks, keyed `first block:count` as readDirectoryBlocks asks for it. */
type FolderRun = WantedRange<string>;

/**
 * The blocks of every folder in the loaded inode tables whose map lives in its inode (an extent
 * leaf, as in nearly every ext4 folder), up to `budgetBytes`. Damaged or deleted inodes are
 * skipped: the walk reads and reports them when (if) a folder names them.
 */
export async function folderRuns(
  tables: ReadonlyMap<number, Uint8Array>,
  geometry: { inodesPerGroup: number; inodeSize: number; blockSize: number; blocksCount: number },
  budgetBytes: number,
): Promise<FolderRun[]> {
  const { inodesPerGroup, inodeSize, blockSize, blocksCount } = geometry;
  const runs: FolderRun[] = [];
  let total = 0;
  let sliceStart = performance.now();
  for (const [group, table] of tables) {
    if (performance.now() - sliceStart >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
    const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
    for (let at = 0; at + inodeSize <= table.length; at += inodeSize) {
      const mode = view.getUint16(at, true);
      if ((mode & S_IFMT) !== S_IFDIR) continue;
      // Deleted (dtime set) or unlinked: no walk reaches it.
      if (view.getUint32(at + 20, true) !== 0 || view.getUint16(at + 26, true) === 0) continue;
      const flags = view.getUint32(at + 32, true);
      if ((flags & INODE_FLAG.extents) === 0 || (flags & INODE_FLAG.inlineData) !== 0) continue;
      const size = view.getUint32(at + 4, true);
      if (size === 0 || size > MAX_FOLDER_BYTES) continue;
      const number = group * inodesPerGroup + at / inodeSize + 1;
      let mapped;
      try {
        const root = table.subarray(at + 40, at + 100);
        mapped = mapExtentRootLeaf(blocksCount, root, number, Math.ceil(size / blockSize));
      } catch {
        continue;
      }
      for (const run of mapped ?? []) {
        if (run.unwritten) continue;
        const length = run.count * blockSize;
        if (total + length > budgetBytes) return runs;
        total += length;
        runs.push({
          key: `${run.physical}:${run.count}`,
          offset: run.physical * blockSize,
          length,
        });
      }
    }
  }
  return runs;
}

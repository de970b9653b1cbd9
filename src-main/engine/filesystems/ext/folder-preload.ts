import type { RandomAccessReader } from '../../io/random-access';
import { mapExtentRootLeaf } from './block-map';
import { INODE_FLAG, S_IFDIR, S_IFMT } from './inode';

/** Folders larger than this are left to the walk's own reads (they are few and read in bulk). */
const MAX_FOLDER_BYTES = 64 * 1024;
/** Two folder runs closer than this on disk are read together, with the bytes between them. */
const MERGE_GAP_BYTES = 32 * 1024;
const MAX_READ_BYTES = 1024 * 1024;
/** Requests on the wire at once: over NBD a round trip costs more than a 4 KiB read (~0.7 ms). */
const READS_IN_FLIGHT = 32;
/** Longest the scan of the inode tables runs before letting the event loop serve others. */
const SLICE_MS = 10;

/** A run of folder blocks, keyed as ExtFileSystem's readDirectoryBlocks asks for it. */
interface FolderRun {
  key: string;
  offset: number;
  length: number;
}

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

/**
 * Reads folder runs in disk order, neighbours together, several reads at a time: a walk lists
 * folders in tree order, which over NBD was a round trip per folder. Each run's promise settles
 * when its read does; a failed read fails only its runs (the walk reads those again).
 */
export function readFolderRuns(
  reader: RandomAccessReader,
  runs: FolderRun[],
): Map<string, Promise<Uint8Array>> {
  const sorted = [...runs].sort((a, b) => a.offset - b.offset);
  const reads: { offset: number; end: number; runs: FolderRun[] }[] = [];
  for (const run of sorted) {
    const last = reads.at(-1);
    const end = run.offset + run.length;
    if (
      last &&
      run.offset >= last.offset &&
      run.offset - last.end <= MERGE_GAP_BYTES &&
      Math.max(end, last.end) - last.offset <= MAX_READ_BYTES
    ) {
      last.end = Math.max(last.end, end);
      last.runs.push(run);
    } else reads.push({ offset: run.offset, end, runs: [run] });
  }
  const out = new Map<string, Promise<Uint8Array>>();
  const settle = new Map<
    string,
    { resolve: (b: Uint8Array) => void; reject: (e: unknown) => void }
  >();
  for (const run of sorted) {
    if (out.has(run.key)) continue;
    out.set(
      run.key,
      new Promise<Uint8Array>((resolve, reject) => settle.set(run.key, { resolve, reject })),
    );
    out.get(run.key)!.catch(() => undefined); // the walk reads again and reports
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < reads.length) {
      const read = reads[next++]!;
      try {
        const bytes = await reader.read(read.offset, read.end - read.offset);
        for (const run of read.runs) {
          const from = run.offset - read.offset;
          // A copy: a view would keep the whole read alive while the walk holds one folder.
          settle.get(run.key)?.resolve(bytes.slice(from, from + run.length));
        }
      } catch (err) {
        for (const run of read.runs) settle.get(run.key)?.reject(err);
      }
    }
  };
  for (let i = 0; i < READS_IN_FLIGHT; i++) void worker();
  return out;
}

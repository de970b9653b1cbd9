import type { FileExtent } from './filesystem';

/** A run of logical file blocks stored in consecutive blocks of the volume (ext, XFS). */
export interface BlockRun {
  logical: number;
  physical: number;
  count: number;
  /** Allocated but never written (ext4 unwritten, XFS preallocated): reads as zeros. */
  unwritten: boolean;
}

/**
 * File extents covering [0, size): data runs (contiguous ones merged), holes for gaps and
 * unwritten runs. Runs past the end of the file (preallocation) are dropped.
 */
export function runsToExtents(
  runs: readonly BlockRun[],
  blockSize: number,
  size: number,
): FileExtent[] {
  const out: FileExtent[] = [];
  const hole = (from: number, to: number): void => {
    const last = out[out.length - 1];
    if (last?.kind === 'hole' && last.fileOffset + last.length === from) {
      last.length = to - last.fileOffset;
    } else {
      out.push({ kind: 'hole', fileOffset: from, length: to - from });
    }
  };
  let pos = 0;
  for (const run of runs) {
    const start = run.logical * blockSize;
    if (start >= size) break;
    const end = Math.min(size, start + run.count * blockSize);
    if (start > pos) hole(pos, start);
    const last = out[out.length - 1];
    const volumeOffset = run.physical * blockSize;
    if (run.unwritten) hole(start, end);
    else if (
      last?.kind === 'data' &&
      last.fileOffset + last.length === start &&
      last.volumeOffset + last.length === volumeOffset
    ) {
      last.length += end - start;
    } else out.push({ kind: 'data', fileOffset: start, length: end - start, volumeOffset });
    pos = end;
  }
  if (pos < size) hole(pos, size);
  return out;
}

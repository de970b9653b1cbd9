import type { RandomAccessReader } from '../io/random-access';

/** Disk image formats Hyperkeep reads. `raw` is a plain file, byte for byte the virtual disk. */
export type DiskFormat = 'raw' | 'qcow2' | 'vmdk' | 'vpc' | 'vhdx' | 'vdi';

/**
 * What a range of the virtual disk holds: `data` (allocated, read it), `zero` (allocated or marked
 * as reading zeros) or `hole` (allocated nowhere in the chain). Backups read `data` and skip the rest.
 */
export type ExtentKind = 'data' | 'zero' | 'hole';

export interface Extent {
  offset: number;
  length: number;
  kind: ExtentKind;
}

/**
 * A disk image file (and its backing chain) decoded to the virtual disk it holds. Readers of file
 * systems and partitions take the `RandomAccessReader` half; backups also use `allocationMap`.
 */
export interface DiskImage extends RandomAccessReader {
  readonly format: DiskFormat;
  readonly path: string;
  /** The opened parent (backing file, parent disk) whose content shows through unallocated ranges. */
  readonly backing: DiskImage | undefined;
  /** Like `read`, into a caller's buffer: lets stacked images fill one buffer without copies. */
  readInto(target: Uint8Array, offset: number): Promise<void>;
  /** Sorted, non-overlapping, merged extents exactly covering [offset, offset + length). */
  allocationMap(offset?: number, length?: number): Promise<Extent[]>;
}

/** Where an image says its parent is; open-image resolves and opens it. */
export interface ParentReference {
  /** Candidate paths in preference order, absolute or relative to the child's directory. */
  candidates: string[];
  /** The parent's format when the child records it (qcow2 backing format extension). */
  format?: DiskFormat;
}

/** Appends an extent, merging it into the previous one when they touch and have the same kind. */
export function pushExtent(
  extents: Extent[],
  offset: number,
  length: number,
  kind: ExtentKind,
): void {
  if (length <= 0) return;
  const last = extents[extents.length - 1];
  if (last !== undefined && last.kind === kind && last.offset + last.length === offset) {
    last.length += length;
  } else {
    extents.push({ offset, length, kind });
  }
}

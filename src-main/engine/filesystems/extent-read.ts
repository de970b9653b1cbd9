import { HyperkeepError } from '../../../shared/errors';
import { fsError } from './binary';
import type { FileExtent } from './filesystem';
import { decompressLznt1 } from './ntfs/lznt1';

/** Anything that reads volume bytes: the raw volume reader or a file system's block cache. */
export interface VolumeSource {
  read(offset: number, length: number): Promise<Uint8Array>;
}

/**
 * Reads file bytes from the extents alone, without parsing the file system again: this is what a
 * single-file restore does with extents kept in the catalog. Gaps between extents read as zeros.
 */
export async function readFromExtents(
  volume: VolumeSource,
  extents: readonly FileExtent[],
  offset: number,
  length: number,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new HyperkeepError('INVALID_INPUT', `Bad file read: offset ${offset}, length ${length}`);
  }
  const out = new Uint8Array(length);
  const end = offset + length;
  for (let i = firstExtentAt(extents, offset); i < extents.length; i++) {
    const extent = extents[i]!;
    if (extent.fileOffset >= end) break;
    const from = Math.max(offset, extent.fileOffset);
    const to = Math.min(end, extent.fileOffset + extent.length);
    if (to <= from) continue;
    const inExtent = from - extent.fileOffset;
    switch (extent.kind) {
      case 'hole':
        break;
      case 'data':
        out.set(await volume.read(extent.volumeOffset + inExtent, to - from), from - offset);
        break;
      case 'inline':
        out.set(extent.data.subarray(inExtent, inExtent + (to - from)), from - offset);
        break;
      case 'lznt1': {
        const unit = await decompressUnit(volume, extent);
        out.set(unit.subarray(inExtent, inExtent + (to - from)), from - offset);
        break;
      }
    }
  }
  return out;
}

/** The file as chunks of at most `chunkSize` bytes, in order. */
export async function* streamFromExtents(
  volume: VolumeSource,
  extents: readonly FileExtent[],
  size: number,
  chunkSize = 1024 * 1024,
): AsyncGenerator<Uint8Array> {
  for (let pos = 0; pos < size; pos += chunkSize) {
    yield await readFromExtents(volume, extents, pos, Math.min(chunkSize, size - pos));
  }
}

async function decompressUnit(
  volume: VolumeSource,
  extent: Extract<FileExtent, { kind: 'lznt1' }>,
): Promise<Uint8Array> {
  let total = 0;
  for (const run of extent.runs) total += run.length;
  // A unit is at most 16 clusters of 64 KiB: anything larger is a corrupt run list.
  if (total > 1024 * 1024 || extent.length > 1024 * 1024) {
    throw fsError('NTFS', 'compression unit', `is impossibly large (${total} bytes stored)`);
  }
  const packed = new Uint8Array(total);
  let pos = 0;
  for (const run of extent.runs) {
    packed.set(await volume.read(run.volumeOffset, run.length), pos);
    pos += run.length;
  }
  return decompressLznt1(packed, extent.length);
}

/** Binary search: index of the last extent starting at or before `offset`. */
function firstExtentAt(extents: readonly FileExtent[], offset: number): number {
  let lo = 0;
  let hi = extents.length - 1;
  let best = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (extents[mid]!.fileOffset <= offset) {
      best = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

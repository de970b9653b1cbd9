import { createHash } from 'node:crypto';
import type { FileExtent, VolumeRun } from '../filesystem';
import { DeltaNotApplicable } from '../inode-delta';
import type { NtfsBootSector } from './boot-sector';

/**
 * Where MFT records and other attribute bytes lie on the volume, for cataloging from what
 * changed (InodeDeltaSupport): an MFT record number plays the part of an inode number.
 */

/**
 * What makes two walks of an NTFS volume comparable record by record: the boot sector's
 * geometry (a reformat gives another). Where $MFT's records lie is checked apart, since the MFT
 * grows as files are made (shared-metadata.ts).
 */
export function ntfsWalkFingerprint(boot: NtfsBootSector): string {
  const geometry = [
    boot.serial,
    boot.bytesPerSector,
    boot.clusterSize,
    boot.clusterCount,
    boot.mftLcn,
    boot.mftRecordSize,
    boot.indexBlockSize,
  ];
  return createHash('sha256')
    .update(`ntfs ${JSON.stringify(geometry)}`)
    .digest('hex');
}

/**
 * The volume offset of each MFT record. A record split over two of $MFT's runs (possible only
 * with clusters smaller than a record) has no single place: such a volume is walked whole.
 */
export function mftRecordLocator(
  mftExtents: readonly FileExtent[],
  recordSize: number,
): (record: number) => number {
  const data = mftExtents.filter((e) => e.kind === 'data');
  return (record) => {
    const at = record * recordSize;
    let lo = 0;
    let hi = data.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = data[mid]!;
      if (at < e.fileOffset) hi = mid - 1;
      else if (at >= e.fileOffset + e.length) lo = mid + 1;
      else if (at + recordSize <= e.fileOffset + e.length)
        return e.volumeOffset + at - e.fileOffset;
      else break;
    }
    throw new DeltaNotApplicable(`MFT record ${record} has no single place in $MFT's runs`);
  };
}

/** The volume bytes behind bytes [offset, offset+length) of an attribute mapped to `extents`. */
export function volumeRangesOf(
  extents: readonly FileExtent[],
  offset: number,
  length: number,
): VolumeRun[] {
  const out: VolumeRun[] = [];
  const end = offset + length;
  for (const e of extents) {
    const from = Math.max(offset, e.fileOffset);
    const to = Math.min(end, e.fileOffset + e.length);
    if (to <= from) continue;
    if (e.kind === 'data')
      out.push({ volumeOffset: e.volumeOffset + from - e.fileOffset, length: to - from });
    else if (e.kind === 'lznt1') out.push(...e.runs);
  }
  return out;
}

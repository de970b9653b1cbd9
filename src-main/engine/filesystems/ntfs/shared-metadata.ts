import type { FileExtent, VolumeRun } from '../filesystem';
import { DeltaNotApplicable } from '../inode-delta';
import { volumeRangesOf } from './mft-map';
import type { SecureStream } from './secure-stream';

/** What an NTFS volume shares between many entries, as NtfsFileSystem exposes it. */
export interface NtfsSharedMetadata {
  readonly boot: { mftRecordSize: number };
  /** Where $MFT's records lie. */
  readonly mftExtents: readonly FileExtent[];
  /** The volume bytes that said so: record 0, its attribute list and extension records. */
  readonly mftSources: readonly VolumeRun[];
  secureStream(): Promise<SecureStream | undefined>;
}

/** $Secure's record: its runs say where $SDS lies. */
const SECURE_RECORD = 9;

/**
 * Before a delta of an NTFS volume (InodeDeltaSupport.checkSharedMetadata). A record's entry is
 * compared at the place `now` gives it, and a file's recorded read covers only its own security
 * descriptor; both hold only if what many entries share kept its place:
 * - $MFT: every record of the basis lies where it lay (the MFT may have grown since);
 * - $Secure:$SDS: every descriptor of the basis is at the same place (new ones appended).
 * The basis point's volume is opened only when its bytes there may differ.
 */
export async function checkSharedMetadata(
  now: NtfsSharedMetadata,
  openBefore: () => Promise<NtfsSharedMetadata>,
  mayDiffer: (offset: number, length: number) => boolean,
): Promise<void> {
  const touched = (ranges: readonly VolumeRun[]): boolean =>
    ranges.some((r) => mayDiffer(r.volumeOffset, r.length));
  let opened: Promise<NtfsSharedMetadata> | undefined;
  const then = (): Promise<NtfsSharedMetadata> => (opened ??= openBefore());

  if (touched(now.mftSources)) {
    const was = (await then()).mftExtents;
    const wasBytes = was.reduce((n, e) => Math.max(n, e.fileOffset + e.length), 0);
    const key = (extents: readonly FileExtent[]): string =>
      JSON.stringify(volumeRangesOf(extents, 0, wasBytes));
    if (key(was) !== key(now.mftExtents))
      throw new DeltaNotApplicable('its MFT moved (defragmented or rebuilt)');
  }

  const size = now.boot.mftRecordSize;
  const secureNow = await now.secureStream();
  const sds = secureNow ? volumeRangesOf(secureNow.extents, 0, secureNow.size) : [];
  const secureRecord = volumeRangesOf(now.mftExtents, SECURE_RECORD * size, size);
  if (!touched(secureRecord) && !touched(sds)) return;
  const secureThen = await (await then()).secureStream();
  if (secureThen === undefined && secureNow === undefined) return;
  if (!secureThen || !secureNow || !secureNow.keepsPlacesOf(secureThen))
    throw new DeltaNotApplicable('its security descriptors ($Secure) were rewritten');
}

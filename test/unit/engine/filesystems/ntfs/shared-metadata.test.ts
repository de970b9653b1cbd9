import { describe, expect, it } from 'vitest';
import type { FileExtent } from '../../../../../src-main/engine/filesystems/filesystem';
import { DeltaNotApplicable } from '../../../../../src-main/engine/filesystems/inode-delta';
import {
  checkSharedMetadata,
  type NtfsSharedMetadata,
} from '../../../../../src-main/engine/filesystems/ntfs/shared-metadata';

const K = 1024;
const RECORD_ZERO = { volumeOffset: 4096 * K, length: K };

/** An NTFS volume as the delta's check sees it, without $Secure. */
function volume(mftExtents: FileExtent[]): NtfsSharedMetadata {
  return {
    boot: { mftRecordSize: K },
    mftExtents,
    mftSources: [RECORD_ZERO],
    secureStream: () => Promise.resolve(undefined),
  };
}

const data = (fileOffset: number, length: number, volumeOffset: number): FileExtent => ({
  kind: 'data',
  fileOffset,
  length,
  volumeOffset,
});

describe('checkSharedMetadata (the MFT)', () => {
  const before = volume([data(0, 256 * K, 4096 * K)]);
  const changedRecordZero = (offset: number, length: number) =>
    offset < RECORD_ZERO.volumeOffset + RECORD_ZERO.length &&
    offset + length > RECORD_ZERO.volumeOffset;

  it('does not open the basis point when record 0 is unchanged', async () => {
    let opened = 0;
    const open = () => {
      opened++;
      return Promise.resolve(before);
    };
    await checkSharedMetadata(volume([data(0, 256 * K, 4096 * K)]), open, () => false);
    expect(opened).toBe(0);
  });

  it('accepts an MFT that grew in place or into a new run: old records lie where they lay', async () => {
    const grown = volume([data(0, 384 * K, 4096 * K)]);
    await expect(
      checkSharedMetadata(grown, () => Promise.resolve(before), changedRecordZero),
    ).resolves.toBeUndefined();
    const extended = volume([data(0, 256 * K, 4096 * K), data(256 * K, 64 * K, 9000 * K)]);
    await expect(
      checkSharedMetadata(extended, () => Promise.resolve(before), changedRecordZero),
    ).resolves.toBeUndefined();
  });

  it('refuses an MFT whose old records moved (defragmented or rebuilt)', async () => {
    const moved = volume([data(0, 128 * K, 4096 * K), data(128 * K, 256 * K, 9000 * K)]);
    await expect(
      checkSharedMetadata(moved, () => Promise.resolve(before), changedRecordZero),
    ).rejects.toThrow(DeltaNotApplicable);
    await expect(
      checkSharedMetadata(moved, () => Promise.resolve(before), changedRecordZero),
    ).rejects.toThrow(/MFT moved/);
  });

  it('refuses an MFT that shrank below the basis', async () => {
    const shrunk = volume([data(0, 128 * K, 4096 * K)]);
    await expect(
      checkSharedMetadata(shrunk, () => Promise.resolve(before), changedRecordZero),
    ).rejects.toThrow(DeltaNotApplicable);
  });
});

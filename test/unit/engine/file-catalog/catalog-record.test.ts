import { describe, expect, it } from 'vitest';
import { attributeNames } from '../../../../src-main/engine/file-catalog/catalog-record';
import type { FsEntry } from '../../../../src-main/engine/filesystems/filesystem';

function entry(attributes: number, sparse = false): FsEntry {
  return {
    id: 131,
    name: 'f',
    path: '/f',
    type: 'file',
    size: 0,
    nlink: 1,
    attributes,
    flags: { sparse, compressed: false, encrypted: false },
  };
}

describe('catalog attribute names', () => {
  it('reads XFS di_flags with their own bits, not ext i_flags', () => {
    // XFS: 0x8 immutable, 0x10 append-only, 0x80 nodump; 0x1 (realtime) is not shown.
    expect(attributeNames('xfs', entry(0x8 | 0x10 | 0x80 | 0x1, true))).toEqual([
      'immutable',
      'append-only',
      'nodump',
      'sparse',
    ]);
    // The same bits on ext mean other things: 0x10 is immutable there, 0x8 nothing shown.
    expect(attributeNames('ext', entry(0x8 | 0x10))).toEqual(['immutable']);
    expect(attributeNames('xfs', entry(0x20 | 0x40))).toEqual([]);
  });
});

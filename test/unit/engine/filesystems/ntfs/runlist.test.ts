import { describe, expect, it } from 'vitest';
import { ByteView } from '../../../../../src-main/engine/filesystems/binary';
import { decodeRunList } from '../../../../../src-main/engine/filesystems/ntfs/runlist';

const view = (bytes: number[]): ByteView =>
  new ByteView(Uint8Array.from(bytes), 'NTFS', 'test attribute');

describe('NTFS run lists', () => {
  it('decodes lengths, signed start deltas and sparse runs', () => {
    const runs = decodeRunList(
      // 0x18 clusters at 0x5634; 4 sparse; 5 clusters 16 before the previous start; end.
      view([0x21, 0x18, 0x34, 0x56, 0x01, 0x04, 0x11, 0x05, 0xf0, 0x00]),
      0,
      10,
      0,
      100_000,
    );
    expect(runs).toEqual([
      { vcn: 0, lcn: 0x5634, length: 0x18 },
      { vcn: 0x18, lcn: null, length: 4 },
      { vcn: 0x1c, lcn: 0x5624, length: 5 },
    ]);
  });

  it('starts numbering at the segment lowest VCN', () => {
    expect(decodeRunList(view([0x11, 0x02, 0x10, 0x00]), 0, 4, 50, 1000)).toEqual([
      { vcn: 50, lcn: 16, length: 2 },
    ]);
  });

  it('rejects runs outside the volume and malformed headers', () => {
    expect(() => decodeRunList(view([0x11, 0x10, 0x7f, 0x00]), 0, 4, 0, 100)).toThrow(
      /^NTFS: test attribute has a run at clusters 127\.\.143, outside the volume \(100\)/,
    );
    expect(() => decodeRunList(view([0x11, 0x10, 0x80, 0x00]), 0, 4, 0, 100)).toThrow(
      /outside the volume/,
    );
    expect(() => decodeRunList(view([0x19, 0x01]), 0, 2, 0, 100)).toThrow(/broken run list entry/);
    expect(() => decodeRunList(view([0x31, 0x01]), 0, 2, 0, 100)).toThrow(/broken run list entry/);
  });
});

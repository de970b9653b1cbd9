import { describe, expect, it } from 'vitest';
import { fsHintOf } from '../../../../src-main/engine/volumes/fs-signature';

function withBytes(size: number, at: number, bytes: number[] | string): Uint8Array {
  const b = new Uint8Array(size);
  b.set(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, at);
  return b;
}

describe('file system signatures', () => {
  it.each([
    ['ext', withBytes(4096, 1024 + 56, [0x53, 0xef])],
    ['ntfs', withBytes(4096, 3, 'NTFS    ')],
    ['exfat', withBytes(4096, 3, 'EXFAT   ')],
    ['xfs', withBytes(4096, 0, 'XFSB')],
    ['btrfs', withBytes(0x10048, 0x10040, '_BHRfS_M')],
    [
      'lvm',
      (() => {
        const b = withBytes(4096, 512, 'LABELONE');
        b.set(Buffer.from('LVM2 001'), 512 + 24);
        return b;
      })(),
    ],
    ['swap', withBytes(4096, 4086, 'SWAPSPACE2')],
    ['luks', withBytes(4096, 0, 'LUKS\xba\xbe')],
    ['unknown', new Uint8Array(4096)],
  ])('recognises %s', (hint, bytes) => {
    expect(fsHintOf(bytes)).toBe(hint);
  });

  it('recognises FAT by its BIOS parameter block when the type string is missing', () => {
    const b = new Uint8Array(512);
    b.set([0xeb, 0x58, 0x90], 0);
    new DataView(b.buffer).setUint16(11, 512, true);
    b[13] = 8; // sectors per cluster
    new DataView(b.buffer).setUint16(14, 32, true); // reserved sectors
    b[16] = 2; // FATs
    b[21] = 0xf8; // media
    b[510] = 0x55;
    b[511] = 0xaa;
    expect(fsHintOf(b)).toBe('fat');
  });
});

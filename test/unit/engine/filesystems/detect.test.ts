import { describe, expect, it } from 'vitest';
import { openFileSystem, probeFileSystem } from '../../../../src-main/engine/filesystems/detect';
import type { RandomAccessReader } from '../../../../src-main/engine/io/random-access';

function memory(bytes: Uint8Array): RandomAccessReader {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.slice(offset, offset + length),
    close: async () => {},
  };
}

function volumeWith(offset: number, text: string, size = 128 * 1024): RandomAccessReader {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  return memory(bytes);
}

describe('file system detection', () => {
  it('recognizes ext, XFS, NTFS and FAT by their signatures', async () => {
    const ext = new Uint8Array(4096);
    ext[1080] = 0x53;
    ext[1081] = 0xef;
    expect(await probeFileSystem(memory(ext))).toEqual({ supported: true, kind: 'ext' });
    expect(await probeFileSystem(volumeWith(3, 'NTFS    '))).toEqual({
      supported: true,
      kind: 'ntfs',
    });
    expect(await probeFileSystem(volumeWith(0, 'XFSB'))).toEqual({ supported: true, kind: 'xfs' });
    const fat = new Uint8Array(4096);
    fat.set([0xeb, 0x3c, 0x90], 0);
    new DataView(fat.buffer).setUint16(11, 512, true);
    fat[13] = 4;
    fat[14] = 1;
    fat[16] = 2;
    fat[21] = 0xf8;
    fat[510] = 0x55;
    fat[511] = 0xaa;
    expect(await probeFileSystem(memory(fat))).toEqual({ supported: true, kind: 'fat' });
  });

  it('names formats it knows but cannot browse', async () => {
    expect(await probeFileSystem(volumeWith(512, 'LABELONE'))).toEqual({
      supported: false,
      recognized: 'LVM physical volume',
    });
    expect(await probeFileSystem(volumeWith(0x10040, '_BHRfS_M'))).toEqual({
      supported: false,
      recognized: 'btrfs',
    });
    await expect(openFileSystem(volumeWith(0, 'LUKS\xba\xbe'))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message:
        'The volume holds LUKS encrypted volume, which cannot be browsed (supported: ext2/3/4, XFS, NTFS, FAT)',
    });
  });

  it('opens an XFS signature only through the XFS reader, which checks the superblock', async () => {
    // 'XFSB' alone is a superblock with every field zero: refused with the field named.
    await expect(openFileSystem(volumeWith(0, 'XFSB'))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^XFS: superblock has version 0/),
    });
  });

  it('says so when the volume is blank or tiny', async () => {
    expect(await probeFileSystem(memory(new Uint8Array(64 * 1024)))).toEqual({ supported: false });
    expect(await probeFileSystem(memory(new Uint8Array(100)))).toEqual({ supported: false });
    await expect(openFileSystem(memory(new Uint8Array(4096)))).rejects.toThrow(
      /no file system that can be browsed/,
    );
  });
});

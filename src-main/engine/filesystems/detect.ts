import { HyperkeepError } from '../../../shared/errors';
import type { RandomAccessReader } from '../io/random-access';
import { isPowerOfTwo } from './binary';
import { ExtFileSystem } from './ext/ext-filesystem';
import { EXT_MAGIC, SUPERBLOCK_OFFSET } from './ext/superblock';
import { FatFileSystem } from './fat/fat-filesystem';
import type { FileSystem, FileSystemKind } from './filesystem';
import { NTFS_OEM_ID } from './ntfs/boot-sector';
import { NtfsFileSystem } from './ntfs/ntfs-filesystem';
import { XfsFileSystem } from './xfs/xfs-filesystem';

export type ProbeResult =
  | { supported: true; kind: FileSystemKind }
  /** `recognized` names a format we know but cannot browse (e.g. 'btrfs', 'LVM physical volume'). */
  | { supported: false; recognized?: string };

/** Enough to see every signature we look for (btrfs keeps its superblock at 64 KiB). */
const PROBE_BYTES = 0x10000 + 0x1000;

/** Signatures of formats found on VM disks that are not (yet) browsable, for a clear message. */
const OTHER_SIGNATURES: { offset: number; text: string; name: string }[] = [
  { offset: 3, text: 'EXFAT   ', name: 'exFAT' },
  { offset: 0x10040, text: '_BHRfS_M', name: 'btrfs' },
  { offset: 512, text: 'LABELONE', name: 'LVM physical volume' },
  { offset: 0, text: 'LUKS\xba\xbe', name: 'LUKS encrypted volume' },
  { offset: 4086, text: 'SWAPSPACE2', name: 'Linux swap' },
  { offset: 3, text: '-FVE-FS-', name: 'BitLocker encrypted volume' },
  { offset: 0, text: 'ReFS', name: 'ReFS' },
  { offset: 32769, text: 'CD001', name: 'ISO 9660' },
];

/** Tells which file system a volume holds from its superblock or boot sector. */
export async function probeFileSystem(reader: RandomAccessReader): Promise<ProbeResult> {
  const head = await reader.read(0, Math.min(PROBE_BYTES, reader.size));
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const text = (offset: number, length: number): string =>
    offset + length <= head.length
      ? String.fromCharCode(...head.subarray(offset, offset + length))
      : '';
  const u16 = (offset: number): number =>
    offset + 2 <= head.length ? view.getUint16(offset, true) : -1;

  // NTFS first: its signature sits in sector 0, which mkntfs rewrites, while an older ext
  // superblock at 1 KiB can survive reformatting.
  if (text(3, 8) === NTFS_OEM_ID) return { supported: true, kind: 'ntfs' };
  if (u16(SUPERBLOCK_OFFSET + 56) === EXT_MAGIC) return { supported: true, kind: 'ext' };
  if (text(0, 4) === 'XFSB') return { supported: true, kind: 'xfs' };
  for (const sig of OTHER_SIGNATURES) {
    if (text(sig.offset, sig.text.length) === sig.text)
      return { supported: false, recognized: sig.name };
  }
  if (looksLikeFat(head, u16)) return { supported: true, kind: 'fat' };
  return { supported: false };
}

/** A FAT boot sector has no magic of its own: check the BPB fields for sane values instead. */
function looksLikeFat(head: Uint8Array, u16: (offset: number) => number): boolean {
  if (head.length < 512 || u16(510) !== 0xaa55) return false;
  const jump = head[0];
  if (jump !== 0xeb && jump !== 0xe9) return false;
  const bytesPerSector = u16(11);
  const sectorsPerCluster = head[13]!;
  const fats = head[16]!;
  const media = head[21]!;
  return (
    isPowerOfTwo(bytesPerSector) &&
    bytesPerSector >= 512 &&
    bytesPerSector <= 4096 &&
    isPowerOfTwo(sectorsPerCluster) &&
    u16(14) > 0 &&
    fats >= 1 &&
    fats <= 4 &&
    (media === 0xf0 || media >= 0xf8)
  );
}

/** Opens the file system a volume holds; INVALID_INPUT names what was found when unsupported. */
export async function openFileSystem(reader: RandomAccessReader): Promise<FileSystem> {
  const probe = await probeFileSystem(reader);
  if (!probe.supported) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      probe.recognized
        ? `The volume holds ${probe.recognized}, which cannot be browsed (supported: ext2/3/4, XFS, NTFS, FAT)`
        : 'The volume holds no file system that can be browsed (supported: ext2/3/4, XFS, NTFS, FAT)',
      probe.recognized ? { recognized: probe.recognized } : undefined,
    );
  }
  switch (probe.kind) {
    case 'ext':
      return ExtFileSystem.open(reader);
    case 'ntfs':
      return NtfsFileSystem.open(reader);
    case 'fat':
      return FatFileSystem.open(reader);
    case 'xfs':
      return XfsFileSystem.open(reader);
  }
}

import type { RandomAccessReader } from '../io/random-access';
import { hasSignature, u16le } from '../formats/binary';

/**
 * What a volume holds, from the signatures its first sectors carry (like blkid). A hint, not a
 * promise: the file system readers still validate what they open.
 */
export type FsHint =
  'ext' | 'ntfs' | 'fat' | 'exfat' | 'xfs' | 'btrfs' | 'lvm' | 'swap' | 'luks' | 'unknown';

/** Bytes to look at: btrfs keeps its superblock at 64 KiB (+ 64 for the magic, + 8 bytes). */
const PROBE_BYTES = 0x10048;
const SWAP_PAGE_SIZES = [4096, 8192, 16384, 65536];

export async function detectFsHint(volume: RandomAccessReader): Promise<FsHint> {
  const head = await volume.read(0, Math.min(volume.size, PROBE_BYTES));
  return fsHintOf(head);
}

export function fsHintOf(b: Uint8Array): FsHint {
  if (hasSignature(b, 0, 'LUKS\xba\xbe')) return 'luks';
  if (hasSignature(b, 3, 'NTFS    ')) return 'ntfs';
  if (hasSignature(b, 3, 'EXFAT   ')) return 'exfat';
  if (hasSignature(b, 0, 'XFSB')) return 'xfs';
  if (hasSignature(b, 0x10040, '_BHRfS_M')) return 'btrfs';
  if (b.length >= 1024 + 58 && u16le(b, 1024 + 56) === 0xef53) return 'ext';
  for (let sector = 0; sector < 4; sector++) {
    if (hasSignature(b, sector * 512, 'LABELONE') && hasSignature(b, sector * 512 + 24, 'LVM2 001'))
      return 'lvm';
  }
  for (const page of SWAP_PAGE_SIZES) {
    if (hasSignature(b, page - 10, 'SWAPSPACE2') || hasSignature(b, page - 10, 'SWAP-SPACE'))
      return 'swap';
  }
  if (looksLikeFat(b)) return 'fat';
  return 'unknown';
}

/** A FAT boot sector: the type string mkfs tools write, or a BIOS parameter block that adds up. */
function looksLikeFat(b: Uint8Array): boolean {
  if (b.length < 512 || b[510] !== 0x55 || b[511] !== 0xaa) return false;
  if (hasSignature(b, 54, 'FAT1') || hasSignature(b, 54, 'FAT ') || hasSignature(b, 82, 'FAT32   '))
    return true;
  const bytesPerSector = u16le(b, 11);
  const sectorsPerCluster = b[13]!;
  const reserved = u16le(b, 14);
  const fats = b[16]!;
  const media = b[21]!;
  return (
    [512, 1024, 2048, 4096].includes(bytesPerSector) &&
    sectorsPerCluster > 0 &&
    (sectorsPerCluster & (sectorsPerCluster - 1)) === 0 &&
    reserved > 0 &&
    (fats === 1 || fats === 2) &&
    (media === 0xf0 || media >= 0xf8) &&
    (b[0] === 0xeb || b[0] === 0xe9)
  );
}

import { ByteView, formatUuid } from '../binary';

export const EXT_MAGIC = 0xef53;
/** The superblock always starts 1024 bytes into the volume, whatever the block size. */
export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;

export const COMPAT_HAS_JOURNAL = 0x4;
export const INCOMPAT = {
  compression: 0x1,
  filetype: 0x2,
  recover: 0x4,
  journalDev: 0x8,
  metaBg: 0x10,
  extents: 0x40,
  bit64: 0x80,
  mmp: 0x100,
  flexBg: 0x200,
  eaInode: 0x400,
  dirdata: 0x1000,
  csumSeed: 0x2000,
  largedir: 0x4000,
  inlineData: 0x8000,
  encrypt: 0x10000,
  casefold: 0x20000,
} as const;
export const RO_COMPAT = {
  sparseSuper: 0x1,
  largeFile: 0x2,
  hugeFile: 0x8,
  gdtCsum: 0x10,
  extraIsize: 0x40,
  bigalloc: 0x200,
  metadataCsum: 0x400,
} as const;

/** Incompatible features we read correctly; any other bit means the layout is unknown to us. */
const UNDERSTOOD_INCOMPAT =
  INCOMPAT.filetype |
  INCOMPAT.recover |
  INCOMPAT.metaBg |
  INCOMPAT.extents |
  INCOMPAT.bit64 |
  INCOMPAT.mmp |
  INCOMPAT.flexBg |
  INCOMPAT.eaInode |
  INCOMPAT.csumSeed |
  INCOMPAT.largedir |
  INCOMPAT.inlineData |
  INCOMPAT.encrypt |
  INCOMPAT.casefold;

export interface ExtSuperblock {
  inodesCount: number;
  /** s_free_inodes_count: kept up to date lazily by the kernel, so only an estimate. */
  freeInodesCount: number;
  /** s_first_ino: inodes below it are reserved (root, journal, resize…), used or not. */
  firstIno: number;
  blocksCount: number;
  firstDataBlock: number;
  blockSize: number;
  /** Allocation unit with bigalloc (EA blocks are counted in clusters). */
  clusterSize: number;
  blocksPerGroup: number;
  inodesPerGroup: number;
  inodeSize: number;
  groupCount: number;
  /** Bytes per group descriptor (32, or s_desc_size with the 64bit feature). */
  descSize: number;
  firstMetaBg: number;
  featureCompat: number;
  featureIncompat: number;
  featureRoCompat: number;
  label: string;
  uuid: string;
  variant: 'ext2' | 'ext3' | 'ext4';
}

export function parseSuperblock(bytes: Uint8Array, volumeSize: number): ExtSuperblock {
  const v = new ByteView(bytes, 'ext', 'superblock');
  const magic = v.u16(56);
  if (magic !== EXT_MAGIC) {
    throw v.fail(
      `has magic 0x${magic.toString(16)} instead of 0xef53: not an ext2/3/4 file system`,
    );
  }
  const logBlock = v.u32(24);
  if (logBlock > 6) {
    throw v.fail(`gives a block size out of range (1 KiB << ${logBlock}; 1 KiB to 64 KiB allowed)`);
  }
  const blockSize = 1024 << logBlock;
  const revLevel = v.u32(76);
  const featureCompat = revLevel >= 1 ? v.u32(92) : 0;
  const featureIncompat = revLevel >= 1 ? v.u32(96) : 0;
  const featureRoCompat = revLevel >= 1 ? v.u32(100) : 0;
  const unknown = featureIncompat & ~UNDERSTOOD_INCOMPAT;
  if (unknown !== 0) {
    throw v.fail(
      `uses incompatible features this reader does not know (0x${unknown.toString(16)}); ` +
        'the file system cannot be browsed safely',
    );
  }
  const is64 = (featureIncompat & INCOMPAT.bit64) !== 0;
  const blocksCount = v.u32(4) + (is64 ? v.u32(336) * 2 ** 32 : 0);
  const firstDataBlock = v.u32(20);
  const blocksPerGroup = v.u32(32);
  const inodesPerGroup = v.u32(40);
  const inodesCount = v.u32(0);
  const inodeSize = revLevel >= 1 ? v.u16(88) : 128;
  const bigalloc = (featureRoCompat & RO_COMPAT.bigalloc) !== 0;
  const logCluster = v.u32(28);
  const clusterSize = bigalloc && logCluster <= 16 ? 1024 * 2 ** logCluster : blockSize;

  // Each group's block and inode bitmaps are one block (one cluster per bit with bigalloc).
  const maxPerGroup = blockSize * 8 * (clusterSize / blockSize);
  if (
    blocksPerGroup < 8 ||
    blocksPerGroup > maxPerGroup ||
    inodesPerGroup === 0 ||
    inodesPerGroup > blockSize * 8
  ) {
    throw v.fail(`has impossible group sizes (${blocksPerGroup} blocks, ${inodesPerGroup} inodes)`);
  }
  if (inodeSize < 128 || inodeSize > blockSize || (inodeSize & (inodeSize - 1)) !== 0) {
    throw v.fail(`has an inode size of ${inodeSize} bytes (a power of two, 128..block size)`);
  }
  if (firstDataBlock >= blocksCount) {
    throw v.fail(`says data starts at block ${firstDataBlock} of ${blocksCount}`);
  }
  if (blocksCount * blockSize > volumeSize) {
    throw v.fail(
      `describes ${blocksCount * blockSize} bytes but the volume holds only ${volumeSize} ` +
        '(truncated image or wrong partition?)',
    );
  }
  const groupCount = Math.ceil((blocksCount - firstDataBlock) / blocksPerGroup);
  if (inodesCount === 0 || inodesCount > groupCount * inodesPerGroup) {
    throw v.fail(`counts ${inodesCount} inodes for ${groupCount} groups of ${inodesPerGroup}`);
  }
  let descSize = 32;
  if (is64) {
    descSize = v.u16(254);
    if (descSize < 64 || descSize > blockSize || (descSize & (descSize - 1)) !== 0) {
      throw v.fail(`has a group descriptor size of ${descSize} bytes with the 64bit feature`);
    }
  }
  return {
    inodesCount,
    freeInodesCount: v.u32(16),
    firstIno: revLevel >= 1 ? v.u32(84) : 11,
    blocksCount,
    firstDataBlock,
    blockSize,
    clusterSize,
    blocksPerGroup,
    inodesPerGroup,
    inodeSize,
    groupCount,
    descSize,
    firstMetaBg: v.u32(260),
    featureCompat,
    featureIncompat,
    featureRoCompat,
    label: cString(v.sub(120, 16)),
    uuid: formatUuid(v.sub(104, 16)),
    variant: variantOf(featureCompat, featureIncompat, featureRoCompat),
  };
}

function variantOf(compat: number, incompat: number, roCompat: number): ExtSuperblock['variant'] {
  const ext4Incompat = INCOMPAT.extents | INCOMPAT.bit64 | INCOMPAT.flexBg | INCOMPAT.inlineData;
  const ext4RoCompat = RO_COMPAT.hugeFile | RO_COMPAT.extraIsize | RO_COMPAT.metadataCsum;
  if ((incompat & ext4Incompat) !== 0 || (roCompat & ext4RoCompat) !== 0) return 'ext4';
  return (compat & COMPAT_HAS_JOURNAL) !== 0 ? 'ext3' : 'ext2';
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** Whether block group `group` holds a superblock backup (and so descriptor-table backups). */
export function groupHasSuperblock(sb: ExtSuperblock, group: number): boolean {
  if (group <= 1 || (sb.featureRoCompat & RO_COMPAT.sparseSuper) === 0) return true;
  for (const base of [3, 5, 7]) {
    let n = base;
    while (n < group) n *= base;
    if (n === group) return true;
  }
  return false;
}

import { ByteView, formatUuid, fsError, isPowerOfTwo } from '../binary';

/** 'XFSB': the primary superblock sits in the first sector of the volume. */
export const XFS_MAGIC = 0x58465342;
export const XFS_SUPERBLOCK_SIZE = 512;

/** sb_versionnum bits (v4 file systems announce their features here). */
const VERSION_DIRV2 = 0x2000;
const VERSION_MOREBITS = 0x8000;
/** sb_features2 bit of v4: directory entries carry the file type. */
const FEATURES2_FTYPE = 0x200;

/** v5 incompatible features (sb_features_incompat). */
export const XFS_INCOMPAT = {
  ftype: 0x1,
  sparseInodes: 0x2,
  metaUuid: 0x4,
  bigtime: 0x8,
  needsRepair: 0x10,
  nrext64: 0x20,
  exchangeRange: 0x40,
  parent: 0x80,
  metadir: 0x100,
} as const;

/**
 * Incompatible features whose on-disk changes this reader handles, or which change nothing it
 * reads: sparse inode chunks only change inode allocation, meta_uuid only the UUID stamped in
 * metadata, exchange-range only the log, parent pointers only extended attributes.
 */
const UNDERSTOOD_INCOMPAT =
  XFS_INCOMPAT.ftype |
  XFS_INCOMPAT.sparseInodes |
  XFS_INCOMPAT.metaUuid |
  XFS_INCOMPAT.bigtime |
  XFS_INCOMPAT.nrext64 |
  XFS_INCOMPAT.exchangeRange |
  XFS_INCOMPAT.parent;

export interface XfsSuperblock {
  /** 4 or 5 (v5 = metadata checksums, the mkfs.xfs default since xfsprogs 3.2.3). */
  version: 4 | 5;
  blockSize: number;
  blockLog: number;
  /** Blocks of the data device. */
  dataBlocks: number;
  /** Blocks of the realtime device (0: none). Files on it cannot be read from this volume. */
  realtimeBlocks: number;
  uuid: string;
  label: string;
  rootIno: number;
  agBlocks: number;
  agCount: number;
  /** Bits of an AG block number inside a file-system block number (ceil(log2(agBlocks))). */
  agBlockLog: number;
  inodeSize: number;
  inodesPerBlockLog: number;
  /** Directory blocks are blockSize << dirBlockLog bytes. */
  dirBlockSize: number;
  /** Directory entries carry a file-type byte. */
  hasFtype: boolean;
  hasBigtime: boolean;
  hasNrext64: boolean;
  /** sb_icount − sb_ifree: inodes in use (lazily counted on v5, so an estimate). */
  inodesInUse: number;
}

export function parseSuperblock(bytes: Uint8Array, volumeSize: number): XfsSuperblock {
  const v = new ByteView(bytes, 'XFS', 'superblock');
  const magic = v.u32be(0);
  if (magic !== XFS_MAGIC) {
    throw v.fail(`has magic 0x${magic.toString(16)} instead of XFSB: not an XFS file system`);
  }
  const versionNum = v.u16be(100);
  const version = versionNum & 0xf;
  if (version !== 4 && version !== 5) {
    throw v.fail(`has version ${version} (only v4 and v5 exist)`);
  }
  if (version === 4 && (versionNum & VERSION_DIRV2) === 0) {
    throw v.fail('uses version 1 directories (IRIX era), which this reader does not support');
  }
  const blockSize = v.u32be(4);
  const blockLog = v.u8(120);
  if (
    !isPowerOfTwo(blockSize) ||
    blockSize < 512 ||
    blockSize > 65536 ||
    2 ** blockLog !== blockSize
  ) {
    throw v.fail(`has an impossible block size (${blockSize} bytes, log ${blockLog})`);
  }
  const inodeSize = v.u16be(104);
  const inodeLog = v.u8(122);
  const inodesPerBlock = v.u16be(106);
  const inodesPerBlockLog = v.u8(123);
  if (
    !isPowerOfTwo(inodeSize) ||
    inodeSize < 256 ||
    inodeSize > 2048 ||
    inodeSize > blockSize ||
    2 ** inodeLog !== inodeSize ||
    inodesPerBlock !== blockSize / inodeSize ||
    2 ** inodesPerBlockLog !== inodesPerBlock
  ) {
    throw v.fail(
      `has an impossible inode geometry (${inodeSize}-byte inodes, ${inodesPerBlock} per block)`,
    );
  }
  const agBlocks = v.u32be(84);
  const agCount = v.u32be(88);
  const agBlockLog = v.u8(124);
  if (
    agBlocks < 16 ||
    agCount === 0 ||
    agBlockLog > 31 ||
    2 ** agBlockLog < agBlocks ||
    2 ** (agBlockLog - 1) >= agBlocks
  ) {
    throw v.fail(
      `has impossible allocation groups (${agCount} of ${agBlocks} blocks, log ${agBlockLog})`,
    );
  }
  if (agBlockLog + inodesPerBlockLog > 32) {
    throw v.fail(`has ${agBlockLog + inodesPerBlockLog}-bit AG inode numbers (at most 32)`);
  }
  const dataBlocks = v.u64be(8, 'a data block count');
  if (dataBlocks > agCount * agBlocks || dataBlocks <= (agCount - 1) * agBlocks) {
    throw v.fail(`counts ${dataBlocks} blocks for ${agCount} groups of ${agBlocks}`);
  }
  if (dataBlocks * blockSize > volumeSize) {
    throw v.fail(
      `describes ${dataBlocks * blockSize} bytes but the volume holds only ${volumeSize} ` +
        '(truncated image or wrong partition?)',
    );
  }
  const dirBlockLog = v.u8(192);
  if (blockLog + dirBlockLog > 16) {
    throw v.fail(`has ${blockSize << dirBlockLog}-byte directory blocks (at most 64 KiB)`);
  }
  if (v.u8(126) !== 0) throw v.fail('is marked as still being created by mkfs (sb_inprogress)');

  let hasFtype = false;
  let incompat = 0;
  if (version === 5) {
    incompat = v.u32be(216);
    if ((incompat & XFS_INCOMPAT.needsRepair) !== 0) {
      throw v.fail(
        'is marked as needing repair (xfs_repair was interrupted); it cannot be read safely',
      );
    }
    if ((incompat & XFS_INCOMPAT.metadir) !== 0) {
      throw v.fail(
        'uses the metadata directory tree (metadir), which this reader does not support',
      );
    }
    const unknown = incompat & ~UNDERSTOOD_INCOMPAT;
    if (unknown !== 0) {
      throw v.fail(
        `uses incompatible features this reader does not know (0x${unknown.toString(16)}); ` +
          'the file system cannot be browsed safely',
      );
    }
    hasFtype = (incompat & XFS_INCOMPAT.ftype) !== 0;
    if (inodeSize < 512) throw v.fail(`has ${inodeSize}-byte inodes (v5 needs at least 512)`);
  } else if ((versionNum & VERSION_MOREBITS) !== 0) {
    hasFtype = (v.u32be(200) & FEATURES2_FTYPE) !== 0;
  }
  const rootIno = v.u64be(56, 'a root inode number');
  return {
    version,
    blockSize,
    blockLog,
    dataBlocks,
    realtimeBlocks: v.u64be(16, 'a realtime block count'),
    uuid: formatUuid(v.sub(32, 16)),
    label: cString(v.sub(108, 12)),
    rootIno,
    agBlocks,
    agCount,
    agBlockLog,
    inodeSize,
    inodesPerBlockLog,
    dirBlockSize: blockSize << dirBlockLog,
    hasFtype,
    hasBigtime: (incompat & XFS_INCOMPAT.bigtime) !== 0,
    hasNrext64: (incompat & XFS_INCOMPAT.nrext64) !== 0,
    inodesInUse: Math.max(0, v.u64be(128, 'an inode count') - v.u64be(136, 'a free inode count')),
  };
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/**
 * Byte offset of inode `ino`: its number packs (AG, block in the AG, slot in the block) with
 * agBlockLog and inodesPerBlockLog bits. Numbers pointing outside the volume are errors.
 */
export function inodeOffset(sb: XfsSuperblock, ino: number, what: string): number {
  const agInoBits = sb.agBlockLog + sb.inodesPerBlockLog;
  const agno = Math.floor(ino / 2 ** agInoBits);
  const agino = ino % 2 ** agInoBits;
  const agbno = Math.floor(agino / 2 ** sb.inodesPerBlockLog);
  const slot = agino % 2 ** sb.inodesPerBlockLog;
  const block = agno * sb.agBlocks + agbno;
  if (
    !Number.isSafeInteger(ino) ||
    ino <= 0 ||
    agno >= sb.agCount ||
    agbno >= sb.agBlocks ||
    block >= sb.dataBlocks
  ) {
    throw fsError('XFS', what, `points at inode ${ino}, outside the file system`);
  }
  return block * sb.blockSize + slot * sb.inodeSize;
}

/**
 * The linear block of file-system block number `fsb` (AG number above agBlockLog bits, AG block
 * below), checking that `count` blocks from it stay inside one AG and the volume.
 */
export function linearBlock(sb: XfsSuperblock, fsb: number, count: number, what: string): number {
  const agno = Math.floor(fsb / 2 ** sb.agBlockLog);
  const agbno = fsb % 2 ** sb.agBlockLog;
  const block = agno * sb.agBlocks + agbno;
  if (
    agno >= sb.agCount ||
    agbno + count > sb.agBlocks ||
    block + count > sb.dataBlocks ||
    count <= 0
  ) {
    throw fsError(
      'XFS',
      what,
      `points at blocks ${agno}/${agbno}..+${count} outside the file system ` +
        `(${sb.agCount} AGs of ${sb.agBlocks} blocks)`,
    );
  }
  return block;
}

import { ByteView } from '../binary';
import { S_IFDIR, S_IFMT, S_IFREG } from '../posix-entry';
import { RO_COMPAT, type ExtSuperblock } from './superblock';

export { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../posix-entry';

export const INODE_FLAG = {
  compressed: 0x4,
  index: 0x1000,
  encrypt: 0x800,
  hugeFile: 0x40000,
  extents: 0x80000,
  inlineData: 0x10000000,
} as const;

/** Extended attributes stored inside a large inode start with this magic. */
const XATTR_IBODY_MAGIC = 0xea020000;
/** Name index 7 is "system."; system.data holds inline data beyond the 60 bytes of i_block. */
const XATTR_INDEX_SYSTEM = 7;

export interface ExtInode {
  number: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linksCount: number;
  flags: number;
  /** Allocated space in bytes (from i_blocks). */
  allocatedBytes: number;
  atime: Date;
  ctime: Date;
  mtime: Date;
  crtime?: Date;
  /** i_block: extent tree root, block pointers, fast symlink target or inline data. */
  iblock: Uint8Array;
  fileAcl: number;
  /** Value of the in-inode system.data attribute (inline data past the first 60 bytes). */
  inlineTail?: Uint8Array;
}

export function parseInode(bytes: Uint8Array, number: number, sb: ExtSuperblock): ExtInode {
  const v = new ByteView(bytes, 'ext', `inode ${number}`);
  const mode = v.u16(0);
  const flags = v.u32(32);
  const sizeHigh = v.u32(108);
  const isRegular = (mode & S_IFMT) === S_IFREG;
  // i_size_high was i_dir_acl for directories on old ext2; only files (or largedir) use it.
  const size = v.u32(4) + (isRegular || isDir(mode) ? sizeHigh * 2 ** 32 : 0);
  if (!Number.isSafeInteger(size)) throw v.fail(`has an impossible size (${size} bytes)`);
  let blocks = v.u32(28);
  if ((sb.featureRoCompat & RO_COMPAT.hugeFile) !== 0) blocks += v.u16(116) * 2 ** 32;
  const blockUnit = (flags & INODE_FLAG.hugeFile) !== 0 ? sb.blockSize : 512;
  const extraIsize = sb.inodeSize > 128 ? v.u16(128) : 0;
  if (sb.inodeSize > 128 && 128 + extraIsize > sb.inodeSize) {
    throw v.fail(`has i_extra_isize ${extraIsize} past its ${sb.inodeSize} bytes`);
  }
  // A field of the large inode exists only if i_extra_isize covers it.
  const extraEnd = 128 + extraIsize;
  const inode: ExtInode = {
    number,
    mode,
    uid: v.u16(2) + v.u16(120) * 0x10000,
    gid: v.u16(24) + v.u16(122) * 0x10000,
    size,
    linksCount: v.u16(26),
    flags,
    allocatedBytes: blocks * blockUnit,
    atime: decodeTime(v.i32(8), 144 <= extraEnd ? v.u32(140) : 0),
    ctime: decodeTime(v.i32(12), 136 <= extraEnd ? v.u32(132) : 0),
    mtime: decodeTime(v.i32(16), 140 <= extraEnd ? v.u32(136) : 0),
    // Copies (small enough to live on the JS heap): `bytes` may be a view of a shared cache.
    iblock: v.sub(40, 60).slice(),
    fileAcl: v.u32(104) + v.u16(118) * 2 ** 32,
  };
  if (148 <= extraEnd) inode.crtime = decodeTime(v.i32(144), 152 <= extraEnd ? v.u32(148) : 0);
  if ((flags & INODE_FLAG.inlineData) !== 0) {
    const tail = findSystemData(v, 128 + extraIsize, sb.inodeSize);
    if (tail) inode.inlineTail = tail;
  }
  return inode;
}

export function isDir(mode: number): boolean {
  return (mode & S_IFMT) === S_IFDIR;
}

/**
 * ext4 timestamps: a signed 32-bit second count, plus in the extra field two epoch bits (extending
 * the range past 2038) and 30 bits of nanoseconds.
 */
function decodeTime(seconds: number, extra: number): Date {
  const fullSeconds = seconds + (extra & 3) * 2 ** 32;
  const nanoseconds = extra >>> 2;
  return new Date(fullSeconds * 1000 + Math.floor(nanoseconds / 1e6));
}

/** Finds system.data among the extended attributes stored after the inode's fixed fields. */
function findSystemData(v: ByteView, start: number, end: number): Uint8Array | undefined {
  if (start + 4 > end || v.u32(start) !== XATTR_IBODY_MAGIC) return undefined;
  const first = start + 4;
  let pos = first;
  // Each entry is at least 16 bytes; the loop cannot run more times than fit in the inode.
  while (pos + 16 <= end && v.u32(pos) !== 0) {
    const nameLen = v.u8(pos);
    const nameIndex = v.u8(pos + 1);
    const valueOffset = v.u16(pos + 2);
    const valueInode = v.u32(pos + 4);
    const valueSize = v.u32(pos + 8);
    if (pos + 16 + nameLen > end) throw v.fail('has an extended attribute name past its end');
    const name = v.ascii(pos + 16, nameLen);
    if (nameIndex === XATTR_INDEX_SYSTEM && name === 'data' && valueInode === 0) {
      if (first + valueOffset + valueSize > end) {
        throw v.fail('has its inline data attribute value past its end');
      }
      return v.sub(first + valueOffset, valueSize).slice();
    }
    pos += (16 + nameLen + 3) & ~3;
  }
  return undefined;
}

import { crc32c } from '../../formats/binary';
import { ByteView } from '../binary';
import type { XfsSuperblock } from './superblock';

const INODE_MAGIC = 0x494e; // 'IN'
/** Offset of di_crc in a v3 inode, and where each inode version's data fork starts. */
const CRC_OFFSET = 100;
const V2_CORE_SIZE = 100;
const V3_CORE_SIZE = 176;

/** di_format: how a fork stores its contents. */
export const FORK_FORMAT = { dev: 0, local: 1, extents: 2, btree: 3 } as const;

/** di_flags bits the reader acts on, plus those the catalog shows (see catalog-record.ts). */
export const XFS_DIFLAG = {
  realtime: 0x1,
  immutable: 0x8,
  append: 0x10,
  nodump: 0x80,
} as const;
const DIFLAG2_BIGTIME = 0x8;
const DIFLAG2_NREXT64 = 0x10;
/** bigtime timestamps count nanoseconds from 1901-12-13 (the most negative 32-bit second). */
const BIGTIME_EPOCH_OFFSET = 2n ** 31n;

export interface XfsInode {
  number: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
  /** Blocks owned by the inode: data, attribute fork and btree blocks. */
  nblocks: number;
  flags: number;
  atime: Date;
  mtime: Date;
  ctime: Date;
  crtime?: Date;
  format: number;
  /** Records in the data fork when it is in extents format. */
  nextents: number;
  /** The data fork's bytes (shortform directory, symlink target, extent list or btree root). */
  dataFork: Uint8Array;
}

export { posixEntryType as inodeType } from '../posix-entry';

/** Parses one on-disk inode (`bytes` is exactly sb.inodeSize long) and checks it is `number`. */
export function parseInode(bytes: Uint8Array, number: number, sb: XfsSuperblock): XfsInode {
  const v = new ByteView(bytes, 'XFS', `inode ${number}`);
  if (v.u16be(0) !== INODE_MAGIC) throw v.fail('has no inode magic (IN): not an inode');
  const version = v.u8(4);
  if (sb.version === 5 ? version !== 3 : version !== 1 && version !== 2) {
    throw v.fail(`has inode version ${version} on a v${sb.version} file system`);
  }
  if (version === 3) {
    if (!checksumOk(bytes, CRC_OFFSET)) throw v.fail('fails its checksum (corrupt inode)');
    const self = v.u64be(152, 'an inode number');
    if (self !== number) throw v.fail(`says it is inode ${self}`);
  }
  const mode = v.u16be(2);
  const flags = v.u16be(90);
  const flags2 = version === 3 ? Number(v.u64bigbe(120) & 0xffffffffn) : 0;
  const bigtime = sb.hasBigtime && (flags2 & DIFLAG2_BIGTIME) !== 0;
  const time = (at: number): Date => decodeTime(v, at, bigtime);
  const sizeBig = v.u64bigbe(56);
  if (sizeBig >= 2n ** 53n) throw v.fail(`has an impossible size (${sizeBig} bytes)`);
  const nextents =
    sb.hasNrext64 && (flags2 & DIFLAG2_NREXT64) !== 0
      ? v.u64be(24, 'an extent count')
      : v.u32be(76);
  const coreSize = version === 3 ? V3_CORE_SIZE : V2_CORE_SIZE;
  const forkOff = v.u8(82) * 8;
  const forkEnd = forkOff === 0 ? sb.inodeSize : coreSize + forkOff;
  if (forkEnd > sb.inodeSize)
    throw v.fail(`has its attribute fork at byte ${forkEnd}, past its end`);
  const inode: XfsInode = {
    number,
    mode,
    uid: v.u32be(8),
    gid: v.u32be(12),
    // v1 inodes keep the link count in the old 16-bit di_onlink.
    nlink: version === 1 ? v.u16be(6) : v.u32be(16),
    size: Number(sizeBig),
    nblocks: v.u64be(64, 'a block count'),
    flags,
    atime: time(32),
    mtime: time(40),
    ctime: time(48),
    format: v.u8(5),
    nextents,
    // A copy: `bytes` may be a view of a shared cache.
    dataFork: v.sub(coreSize, forkEnd - coreSize).slice(),
  };
  if (version === 3) inode.crtime = time(144);
  return inode;
}

/**
 * v5 metadata checksum: CRC-32C of the whole structure with its crc field zeroed, stored
 * little-endian (unlike every other XFS field).
 */
export function checksumOk(bytes: Uint8Array, crcOffset: number): boolean {
  if (crcOffset + 4 > bytes.length) return false;
  const stored = new DataView(bytes.buffer, bytes.byteOffset).getUint32(crcOffset, true);
  const copy = bytes.slice();
  copy.fill(0, crcOffset, crcOffset + 4);
  return crc32c(copy) === stored;
}

/** A 32-bit seconds + nanoseconds pair, or with bigtime one 64-bit nanosecond count. */
function decodeTime(v: ByteView, at: number, bigtime: boolean): Date {
  if (bigtime) {
    const ns = v.u64bigbe(at);
    const seconds = ns / 1_000_000_000n - BIGTIME_EPOCH_OFFSET;
    const ms = Number((ns % 1_000_000_000n) / 1_000_000n);
    return new Date(Number(seconds) * 1000 + ms);
  }
  return new Date(v.i32be(at) * 1000 + Math.floor(v.u32be(at + 4) / 1e6));
}

import { ByteView } from '../binary';

export const FILE_ATTRIBUTE = {
  readOnly: 0x1,
  hidden: 0x2,
  system: 0x4,
  sparse: 0x200,
  reparsePoint: 0x400,
  compressed: 0x800,
  encrypted: 0x4000,
} as const;

export const NAMESPACE = { posix: 0, win32: 1, dos: 2, win32AndDos: 3 } as const;

const REPARSE_TAG = {
  mountPoint: 0xa0000003,
  symlink: 0xa000000c,
  wslSymlink: 0xa000001d,
} as const;

/** Milliseconds between 1601-01-01 (the NTFS epoch) and 1970-01-01. */
const EPOCH_DIFF_MS = 11644473600000;

/**
 * NTFS timestamps count 100 ns ticks since 1601 in 64 bits; 0 means "not set". Splitting
 * hi * 2^32 as hi * (429496 * 10000 + 7296) keeps the division by 10000 exact in doubles,
 * without BigInt (a walk decodes four times per file).
 */
export function ntfsTime(lo: number, hi: number): Date | undefined {
  if (lo === 0 && hi === 0) return undefined;
  const ms = hi * 429496 + Math.floor((hi * 7296 + lo) / 10000) - EPOCH_DIFF_MS;
  return ms <= 8.64e15 ? new Date(ms) : undefined;
}

export interface StandardInformation {
  created?: Date;
  modified?: Date;
  mftChanged?: Date;
  accessed?: Date;
  fileAttributes: number;
  /** Key into $Secure (NTFS 3.x); absent on NTFS 1.x/2.x layouts. */
  securityId?: number;
}

export function parseStandardInformation(bytes: Uint8Array, record: number): StandardInformation {
  const v = new ByteView(bytes, 'NTFS', `$STANDARD_INFORMATION of MFT record ${record}`);
  const info: StandardInformation = { fileAttributes: v.u32(32) };
  const created = ntfsTime(v.u32(0), v.u32(4));
  const modified = ntfsTime(v.u32(8), v.u32(12));
  const mftChanged = ntfsTime(v.u32(16), v.u32(20));
  const accessed = ntfsTime(v.u32(24), v.u32(28));
  if (created) info.created = created;
  if (modified) info.modified = modified;
  if (mftChanged) info.mftChanged = mftChanged;
  if (accessed) info.accessed = accessed;
  if (bytes.length >= 56) info.securityId = v.u32(52);
  return info;
}

export interface FileName {
  parent: number;
  name: string;
  namespace: number;
  fileAttributes: number;
}

export function parseFileName(bytes: Uint8Array, what: string): FileName {
  const v = new ByteView(bytes, 'NTFS', what);
  return {
    parent: Number(v.u64big(0) & 0xffffffffffffn),
    fileAttributes: v.u32(56),
    namespace: v.u8(65),
    name: v.utf16(66, v.u8(64)),
  };
}

export interface ReparsePoint {
  tag: number;
  /** Set for symlinks and junctions (mount points). */
  target?: string;
}

export function parseReparsePoint(bytes: Uint8Array, record: number): ReparsePoint {
  const v = new ByteView(bytes, 'NTFS', `reparse point of MFT record ${record}`);
  const tag = v.u32(0);
  const dataLength = v.u16(4);
  const data = v.child(8, Math.min(dataLength, bytes.length - 8), v.structure);
  if (tag === REPARSE_TAG.wslSymlink) return { tag, target: data.utf8(4, data.length - 4) };
  if (tag !== REPARSE_TAG.symlink && tag !== REPARSE_TAG.mountPoint) return { tag };
  // Symlinks carry a 4-byte flags field before the path buffer; junctions do not.
  const buffer = tag === REPARSE_TAG.symlink ? 12 : 8;
  const substitute = data.utf16(buffer + data.u16(0), data.u16(2) / 2);
  const print = data.utf16(buffer + data.u16(4), data.u16(6) / 2);
  const target = print !== '' ? print : substitute.replace(/^\\\?\?\\/, '');
  return { tag, target };
}

export function isLinkReparse(tag: number): boolean {
  return (
    tag === REPARSE_TAG.symlink || tag === REPARSE_TAG.mountPoint || tag === REPARSE_TAG.wslSymlink
  );
}

/** Interix / SFU symlinks (as ntfs-3g writes them): a system file holding "IntxLNK\1" + UTF-16. */
const INTERIX_SYMLINK_MAGIC = 'IntxLNK\x01';

export function parseInterixSymlink(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 8)) !== INTERIX_SYMLINK_MAGIC) {
    return undefined;
  }
  return new TextDecoder('utf-16le').decode(bytes.subarray(8, 8 + ((bytes.length - 8) & ~1)));
}

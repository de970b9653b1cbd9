import { ByteView } from '../binary';
import { checksumOk } from './inode';
import type { XfsSuperblock } from './superblock';

export interface XfsDirEntryRef {
  inode: number;
  /** Raw name bytes: XFS names are byte strings, UTF-8 by convention. */
  name: Uint8Array;
}

const decoder = new TextDecoder('utf-8');

export function decodeName(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Directory data lives below this byte offset of the directory; the hash index (leaf blocks) at
 * 32 GiB and the free-space index at 64 GiB hold no entries of their own.
 */
export const DIR_LEAF_OFFSET = 32 * 1024 ** 3;

const BLOCK_MAGIC_V5 = 0x58444233; // 'XDB3': single-block directory
const DATA_MAGIC_V5 = 0x58444433; // 'XDD3': data block of a leaf or node directory
const BLOCK_MAGIC_V4 = 0x58443242; // 'XD2B'
const DATA_MAGIC_V4 = 0x58443244; // 'XD2D'
/** The v5 header adds crc, block number, LSN, UUID and owner before the bestfree table. */
const HEADER_V5 = 64;
const HEADER_V4 = 16;
const FREE_TAG = 0xffff;

function isDot(name: Uint8Array): boolean {
  return name[0] === 0x2e && (name.length === 1 || (name.length === 2 && name[1] === 0x2e));
}

/**
 * A shortform directory, kept in the inode's data fork: a count, the parent's inode number, then
 * packed entries (name length, 2-byte offset, name, file type, inode number). Inode numbers are
 * 8 bytes when any entry needs it (i8count > 0), 4 bytes otherwise.
 */
export function parseShortform(
  fork: Uint8Array,
  size: number,
  sb: XfsSuperblock,
  what: string,
): XfsDirEntryRef[] {
  if (size > fork.length) {
    const v = new ByteView(fork, 'XFS', what);
    throw v.fail(`claims ${size} bytes of shortform entries in a ${fork.length}-byte fork`);
  }
  const v = new ByteView(fork.subarray(0, size), 'XFS', `${what} shortform`);
  const count = v.u8(0);
  const i8count = v.u8(1);
  const inoSize = i8count > 0 ? 8 : 4;
  const inoAt = (at: number): number =>
    inoSize === 8 ? v.u64be(at, 'an inode number') : v.u32be(at);
  let pos = 2 + inoSize;
  const out: XfsDirEntryRef[] = [];
  for (let i = 0; i < count; i++) {
    const nameLen = v.u8(pos);
    if (nameLen === 0) throw v.fail(`has an empty name in entry ${i}`);
    const name = v.sub(pos + 3, nameLen);
    pos += 3 + nameLen + (sb.hasFtype ? 1 : 0);
    out.push({ inode: inoAt(pos), name });
    pos += inoSize;
  }
  return out;
}

/**
 * Entries of one directory block: the single block of a block directory (its hash table and
 * tail at the end are skipped) or a data block of a leaf/node directory. Unused space is marked
 * by a 0xffff tag and its length; each entry is 8-byte aligned.
 */
export function parseDataBlock(
  bytes: Uint8Array,
  sb: XfsSuperblock,
  owner: number,
  what: string,
  out: XfsDirEntryRef[],
): void {
  const v = new ByteView(bytes, 'XFS', what);
  const magic = v.u32be(0);
  const v5 = sb.version === 5;
  const isBlock = magic === (v5 ? BLOCK_MAGIC_V5 : BLOCK_MAGIC_V4);
  if (!isBlock && magic !== (v5 ? DATA_MAGIC_V5 : DATA_MAGIC_V4)) {
    throw v.fail(`has magic 0x${magic.toString(16)} instead of a directory data block's`);
  }
  if (v5 && !checksumOk(bytes, 4)) throw v.fail('fails its checksum (corrupt directory block)');
  if (v5 && v.u64be(40, 'an owner') !== owner) {
    throw v.fail(`belongs to inode ${v.u64be(40, 'an owner')}, not to this directory`);
  }
  let end = bytes.length;
  if (isBlock) {
    // Tail: leaf count and stale count; the leaf hash entries (8 bytes each) sit before it.
    const leafCount = v.u32be(bytes.length - 8);
    end = bytes.length - 8 - leafCount * 8;
  }
  const header = v5 ? HEADER_V5 : HEADER_V4;
  if (end < header) throw v.fail(`has a hash table overlapping its header`);
  let pos = header;
  // Each step advances by at least 8 bytes, so the loop ends within the block size / 8 steps.
  while (pos < end) {
    if (v.u16be(pos) === FREE_TAG) {
      const length = v.u16be(pos + 2);
      if (length < 8 || length % 8 !== 0 || pos + length > end) {
        throw v.fail(`has a broken free region at byte ${pos} (${length} bytes)`);
      }
      pos += length;
      continue;
    }
    const inode = v.u64be(pos, 'an inode number');
    const nameLen = v.u8(pos + 8);
    const length = (8 + 1 + nameLen + (sb.hasFtype ? 1 : 0) + 2 + 7) & ~7;
    if (nameLen === 0 || pos + length > end) {
      throw v.fail(`has a broken entry at byte ${pos} (name length ${nameLen})`);
    }
    if (v.u16be(pos + length - 2) !== pos) {
      throw v.fail(`has an entry at byte ${pos} whose tag does not point back at it`);
    }
    const name = v.sub(pos + 9, nameLen);
    if (!isDot(name)) out.push({ inode, name });
    pos += length;
  }
  if (pos !== end) throw v.fail(`has entries running past its data area (byte ${pos} of ${end})`);
}

import { ByteView } from '../binary';

export interface DirEntryRef {
  inode: number;
  /** Raw name bytes: ext names are byte strings, UTF-8 by convention. */
  name: Uint8Array;
}

const decoder = new TextDecoder('utf-8');

export function decodeName(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Parses the linear directory entries of one directory block (or inline-data region). Hash-tree
 * (htree) directories read the same way: the dx root hides in the '..' entry's slack and interior
 * dx nodes look like one empty entry (inode 0) spanning the block, so both are skipped naturally;
 * so is the metadata_csum tail (inode 0, file type 0xde).
 */
export function parseDirectoryRegion(
  bytes: Uint8Array,
  what: string,
  hasFileType: boolean,
  blockSize: number,
  out: DirEntryRef[],
): void {
  const v = new ByteView(bytes, 'ext', what);
  let pos = 0;
  // Each step advances by rec_len ≥ 8, so the loop ends within length / 8 steps.
  while (pos + 8 <= bytes.length) {
    const inode = v.u32(pos);
    let recLen = v.u16(pos + 4);
    // With 64 KiB blocks a whole-block entry cannot fit 16 bits and is stored as 0 or 65535.
    if (blockSize >= 65536 && (recLen === 0 || recLen === 65535)) recLen = blockSize;
    const nameLen = hasFileType ? v.u8(pos + 6) : v.u16(pos + 6);
    if (recLen < 8 || recLen % 4 !== 0 || pos + recLen > bytes.length || 8 + nameLen > recLen) {
      throw v.fail(
        `has a broken entry at byte ${pos} (record length ${recLen}, name length ${nameLen})`,
      );
    }
    if (inode !== 0 && nameLen > 0) {
      const name = v.sub(pos + 8, nameLen);
      const isDot = name[0] === 0x2e && (nameLen === 1 || (nameLen === 2 && name[1] === 0x2e));
      if (!isDot) out.push({ inode, name });
    }
    pos += recLen;
  }
  if (pos !== bytes.length) {
    throw v.fail(`ends with ${bytes.length - pos} bytes not covered by any entry`);
  }
}

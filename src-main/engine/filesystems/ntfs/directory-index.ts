import { ByteView } from '../binary';
import { NAMESPACE, parseFileName } from './attribute-values';

export interface IndexEntryRef {
  record: number;
  sequence: number;
  name: string;
  namespace: number;
}

const ENTRY_HAS_SUBNODE = 0x1;
const ENTRY_LAST = 0x2;
/** B+trees of real directories are a handful of levels deep; deeper means a corrupt tree. */
const MAX_INDEX_DEPTH = 32;

export interface IndexRootInfo {
  indexBlockSize: number;
  /** View over the root's entries region (the index header starts at byte 16). */
  view: ByteView;
}

export function parseIndexRoot(value: Uint8Array, record: number): IndexRootInfo {
  const view = new ByteView(value, 'NTFS', `$INDEX_ROOT of directory record ${record}`);
  const indexBlockSize = view.u32(8);
  if (view.u32(0) !== 0x30) throw view.fail('does not index file names');
  return { indexBlockSize, view };
}

/**
 * Lists a directory by walking its $I30 B+tree from the root through every INDX block a node
 * points at. Stale INDX blocks no node points at are never read. DOS 8.3 duplicates of names are
 * dropped: the long (Win32 or POSIX) name is the one a person knows.
 */
export async function listIndex(
  root: IndexRootInfo,
  readIndexBlock: (vcn: number) => Promise<ByteView>,
  maxBlocks: number,
): Promise<IndexEntryRef[]> {
  const out: IndexEntryRef[] = [];
  const seen = new Set<number>();
  const pending: { vcn: number; depth: number }[] = [];
  const visit = (v: ByteView, headerAt: number, depth: number): void => {
    for (const child of parseNode(v, headerAt, out)) {
      if (seen.has(child)) continue;
      if (seen.size >= maxBlocks || depth + 1 > MAX_INDEX_DEPTH) {
        throw v.fail(`points at more index blocks than the directory holds (VCN ${child})`);
      }
      seen.add(child);
      pending.push({ vcn: child, depth: depth + 1 });
    }
  };
  visit(root.view, 16, 0);
  while (pending.length > 0) {
    const { vcn, depth } = pending.pop()!;
    const block = await readIndexBlock(vcn);
    if (block.u64(16, 'index block VCN') !== vcn) {
      throw block.fail(`claims VCN ${block.u64(16)} but was read at VCN ${vcn}`);
    }
    visit(block, 24, depth);
  }
  return out;
}

/** Parses the entries of one index node; returns the VCNs of its child nodes. */
function parseNode(v: ByteView, headerAt: number, out: IndexEntryRef[]): number[] {
  const entriesStart = headerAt + v.u32(headerAt);
  const entriesEnd = headerAt + v.u32(headerAt + 4);
  if (entriesEnd > v.length || entriesStart > entriesEnd) {
    throw v.fail(
      `has index entries at bytes ${entriesStart}..${entriesEnd} outside its ${v.length}`,
    );
  }
  const children: number[] = [];
  let pos = entriesStart;
  // Each entry is at least 16 bytes, so the loop is bounded by the node size.
  while (pos + 16 <= entriesEnd) {
    const length = v.u16(pos + 8);
    const keyLength = v.u16(pos + 10);
    const flags = v.u16(pos + 12);
    if (length < 16 || length % 8 !== 0 || pos + length > entriesEnd || 16 + keyLength > length) {
      throw v.fail(`has a broken index entry at byte ${pos} (length ${length})`);
    }
    if ((flags & ENTRY_HAS_SUBNODE) !== 0) {
      if (length < 24)
        throw v.fail(`has an index entry at byte ${pos} too short for its child pointer`);
      children.push(v.u64(pos + length - 8, 'child VCN'));
    }
    if ((flags & ENTRY_LAST) !== 0) break;
    if (keyLength < 66)
      throw v.fail(`has an index entry at byte ${pos} with a ${keyLength}-byte key`);
    const fileName = parseFileName(
      v.sub(pos + 16, keyLength),
      `${v.structure} entry at byte ${pos}`,
    );
    if (fileName.namespace !== NAMESPACE.dos) {
      const ref = v.u64big(pos);
      out.push({
        record: Number(ref & 0xffffffffffffn),
        sequence: Number(ref >> 48n),
        name: fileName.name,
        namespace: fileName.namespace,
      });
    }
    pos += length;
  }
  return children;
}

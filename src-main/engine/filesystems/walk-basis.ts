import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';

/**
 * What the next point's delta walk (inode-delta.ts) needs to know of a walked volume, besides
 * the changed bytes: where each entry sits in the tree, and which bytes beyond its inode each
 * entry was read from. An entry's record depends only on its inode's bytes and those, so an
 * entry whose inode and bytes are unchanged is unchanged.
 */
export interface WalkBasis {
  /** The file system's walkFingerprint: geometry, features, where inodes live. */
  fingerprint: string;
  /** Every listed entry as (inode, parent folder's inode), the root as (root inode, 0). */
  inodes: Float64Array;
  parents: Float64Array;
  /** Name of each folder by inode (the root's is ''). */
  folderNames: Map<number, string>;
  /**
   * Folders whose listing failed (a damaged block or child inode): the walk kept them empty, as
   * a full walk does. A delta lists them again every time, since what broke them may be any of
   * their children's inodes, which the basis does not know.
   */
  brokenFolders: Set<number>;
  /** Byte ranges of metadata and the inode they were read for, sorted by offset. */
  readInodes: Float64Array;
  readOffsets: Float64Array;
  readLengths: Float64Array;
}

const FORMAT = 'hyperkeep-walk-basis/3';

/**
 * Collects the basis while a full walk runs: its entries from the catalog's walk, its metadata
 * reads from the file system's recordMetadataReads. `finish` returns null when the tree was not a plain
 * tree (a folder reached twice: a damaged volume), which a delta could not follow.
 */
export class WalkBasisRecorder {
  private inodes: number[] = [];
  private parents: number[] = [];
  private readonly folderNames = new Map<number, string>();
  private readonly brokenFolders = new Set<number>();
  private readInodes: number[] = [];
  private readOffsets: number[] = [];
  private readLengths: number[] = [];
  private irregular = false;

  readonly onRead = (inode: number, offset: number, length: number): void => {
    this.readInodes.push(inode);
    this.readOffsets.push(offset);
    this.readLengths.push(length);
  };

  addEntry(inode: number, parent: number, folderName?: string): void {
    this.inodes.push(inode);
    this.parents.push(parent);
    if (folderName === undefined) return;
    if (this.folderNames.has(inode)) this.irregular = true;
    this.folderNames.set(inode, folderName);
  }

  /** The walk could not list a folder and went on without its contents. */
  addBroken(inode: number): void {
    this.brokenFolders.add(inode);
  }

  finish(fingerprint: string): WalkBasis | null {
    if (this.irregular) return null;
    return makeBasis(fingerprint, this.inodes, this.parents, this.folderNames, this.brokenFolders, {
      inodes: this.readInodes,
      offsets: this.readOffsets,
      lengths: this.readLengths,
    });
  }
}

/** A basis from plain arrays: read runs sorted by block and repeated reads dropped. */
export function makeBasis(
  fingerprint: string,
  inodes: readonly number[],
  parents: readonly number[],
  folderNames: Map<number, string>,
  brokenFolders: Set<number>,
  reads: { inodes: readonly number[]; offsets: readonly number[]; lengths: readonly number[] },
): WalkBasis {
  const order = reads.offsets.map((_, i) => i);
  order.sort(
    (a, b) =>
      reads.offsets[a]! - reads.offsets[b]! ||
      reads.inodes[a]! - reads.inodes[b]! ||
      reads.lengths[a]! - reads.lengths[b]!,
  );
  const kept = order.filter(
    (i, k) =>
      k === 0 ||
      reads.offsets[i] !== reads.offsets[order[k - 1]!] ||
      reads.inodes[i] !== reads.inodes[order[k - 1]!] ||
      reads.lengths[i] !== reads.lengths[order[k - 1]!],
  );
  return {
    fingerprint,
    inodes: Float64Array.from(inodes),
    parents: Float64Array.from(parents),
    folderNames,
    brokenFolders,
    readInodes: Float64Array.from(kept, (i) => reads.inodes[i]!),
    readOffsets: Float64Array.from(kept, (i) => reads.offsets[i]!),
    readLengths: Float64Array.from(kept, (i) => reads.lengths[i]!),
  };
}

/** zstd of: JSON header line, then the arrays' bytes in header order. */
export function encodeWalkBasis(basis: WalkBasis): Uint8Array {
  const arrays = [
    basis.inodes,
    basis.parents,
    basis.readInodes,
    basis.readOffsets,
    basis.readLengths,
  ] as const;
  const header = JSON.stringify({
    format: FORMAT,
    fingerprint: basis.fingerprint,
    entries: basis.inodes.length,
    reads: basis.readInodes.length,
    folderNames: [...basis.folderNames],
    brokenFolders: [...basis.brokenFolders],
  });
  const parts = [
    Buffer.from(`${header}\n`),
    ...arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)),
  ];
  return zstdCompressSync(Buffer.concat(parts));
}

/** The basis stored with a point, or null when it is of another format or damaged. */
export function decodeWalkBasis(bytes: Uint8Array): WalkBasis | null {
  try {
    const all = zstdDecompressSync(bytes);
    const end = all.indexOf(0x0a);
    const header = JSON.parse(all.subarray(0, end).toString('utf8')) as {
      format: string;
      fingerprint: string;
      entries: number;
      reads: number;
      folderNames: [number, string][];
      brokenFolders: number[];
    };
    if (header.format !== FORMAT) return null;
    let at = end + 1;
    const take = <T>(make: (b: ArrayBuffer) => T, count: number, width: number): T => {
      if (at + count * width > all.length) throw new Error('short');
      const copy = new Uint8Array(count * width);
      copy.set(all.subarray(at, at + count * width));
      at += count * width;
      return make(copy.buffer);
    };
    const n = header.entries;
    const r = header.reads;
    return {
      fingerprint: header.fingerprint,
      inodes: take((b) => new Float64Array(b), n, 8),
      parents: take((b) => new Float64Array(b), n, 8),
      readInodes: take((b) => new Float64Array(b), r, 8),
      readOffsets: take((b) => new Float64Array(b), r, 8),
      readLengths: take((b) => new Float64Array(b), r, 8),
      folderNames: new Map(header.folderNames),
      brokenFolders: new Set(header.brokenFolders),
    };
  } catch {
    return null;
  }
}

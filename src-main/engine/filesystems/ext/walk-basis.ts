import { createHash } from 'node:crypto';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import type { ExtFileSystem } from './ext-filesystem';

/**
 * What the next point's delta walk (ext-delta.ts) needs to know of a walked ext volume, besides
 * the changed blocks: where each entry sits in the tree, and which blocks beyond its inode each
 * entry was read from. An entry's record depends only on its inode's bytes and those blocks, so
 * an entry whose inode slot and blocks are unchanged is unchanged.
 */
export interface ExtWalkBasis {
  /** Geometry, features and inode table locations (walkBasisFingerprint): inodes mean the same. */
  fingerprint: string;
  /** Every listed entry as (inode, parent folder's inode), the root as (2, 0). */
  inodes: Uint32Array;
  parents: Uint32Array;
  /** Name of each folder by inode (the root's is ''). */
  folderNames: Map<number, string>;
  /**
   * Folders whose listing failed (a damaged block or child inode): the walk kept them empty, as
   * a full walk does. A delta lists them again every time, since what broke them may be any of
   * their children's inodes, which the basis does not know.
   */
  brokenFolders: Set<number>;
  /** Runs of metadata blocks and the inode they were read for, sorted by block. */
  readInodes: Uint32Array;
  readBlocks: Float64Array;
  readCounts: Uint32Array;
}

const FORMAT = 'hyperkeep-ext-walk-basis/2';

/** What makes two walks of a volume comparable inode by inode. */
export async function walkBasisFingerprint(fs: ExtFileSystem): Promise<string> {
  const sb = fs.superblock;
  const geometry = [
    sb.inodesCount,
    sb.blocksCount,
    sb.firstDataBlock,
    sb.blockSize,
    sb.clusterSize,
    sb.blocksPerGroup,
    sb.inodesPerGroup,
    sb.inodeSize,
    sb.groupCount,
    sb.descSize,
    sb.firstMetaBg,
    sb.featureCompat,
    sb.featureIncompat,
    sb.featureRoCompat,
    sb.uuid,
  ];
  const hash = createHash('sha256').update(JSON.stringify(geometry));
  hash.update(Float64Array.from(await fs.inodeTableLocations()));
  return hash.digest('hex');
}

/**
 * Collects the basis while a full walk runs: its entries from the catalog's walk, its block reads
 * from ExtFileSystem.recordMetadataReads. `finish` returns null when the tree was not a plain
 * tree (a folder reached twice: a damaged volume), which a delta could not follow.
 */
export class ExtBasisRecorder {
  private inodes: number[] = [];
  private parents: number[] = [];
  private readonly folderNames = new Map<number, string>();
  private readonly brokenFolders = new Set<number>();
  private readInodes: number[] = [];
  private readBlocks: number[] = [];
  private readCounts: number[] = [];
  private irregular = false;

  readonly onRead = (inode: number, block: number, count: number): void => {
    this.readInodes.push(inode);
    this.readBlocks.push(block);
    this.readCounts.push(count);
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

  finish(fingerprint: string): ExtWalkBasis | null {
    if (this.irregular) return null;
    return makeBasis(fingerprint, this.inodes, this.parents, this.folderNames, this.brokenFolders, {
      inodes: this.readInodes,
      blocks: this.readBlocks,
      counts: this.readCounts,
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
  reads: { inodes: readonly number[]; blocks: readonly number[]; counts: readonly number[] },
): ExtWalkBasis {
  const order = reads.blocks.map((_, i) => i);
  order.sort(
    (a, b) =>
      reads.blocks[a]! - reads.blocks[b]! ||
      reads.inodes[a]! - reads.inodes[b]! ||
      reads.counts[a]! - reads.counts[b]!,
  );
  const kept = order.filter(
    (i, k) =>
      k === 0 ||
      reads.blocks[i] !== reads.blocks[order[k - 1]!] ||
      reads.inodes[i] !== reads.inodes[order[k - 1]!] ||
      reads.counts[i] !== reads.counts[order[k - 1]!],
  );
  return {
    fingerprint,
    inodes: Uint32Array.from(inodes),
    parents: Uint32Array.from(parents),
    folderNames,
    brokenFolders,
    readInodes: Uint32Array.from(kept, (i) => reads.inodes[i]!),
    readBlocks: Float64Array.from(kept, (i) => reads.blocks[i]!),
    readCounts: Uint32Array.from(kept, (i) => reads.counts[i]!),
  };
}

/** zstd of: JSON header line, then the arrays' bytes in header order. */
export function encodeWalkBasis(basis: ExtWalkBasis): Uint8Array {
  const arrays = [
    basis.inodes,
    basis.parents,
    basis.readInodes,
    basis.readBlocks,
    basis.readCounts,
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
export function decodeWalkBasis(bytes: Uint8Array): ExtWalkBasis | null {
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
      inodes: take((b) => new Uint32Array(b), n, 4),
      parents: take((b) => new Uint32Array(b), n, 4),
      readInodes: take((b) => new Uint32Array(b), r, 4),
      readBlocks: take((b) => new Float64Array(b), r, 8),
      readCounts: take((b) => new Uint32Array(b), r, 4),
      folderNames: new Map(header.folderNames),
      brokenFolders: new Set(header.brokenFolders),
    };
  } catch {
    return null;
  }
}

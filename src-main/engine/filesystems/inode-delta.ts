import type { RandomAccessReader } from '../io/random-access';
import type { FileSystem, FsEntry } from './filesystem';
import { makeBasis, type WalkBasis } from './walk-basis';

/** Told that bytes [offset, offset+length) were read for inode `inode` (recordMetadataReads). */
export type MetadataReadRecorder = (inode: number, offset: number, length: number) => void;

/**
 * What a file system offers for cataloging from what changed: every entry is an inode at a
 * place fixed by its number, and the file system can say which other bytes it read for it.
 */
export interface InodeDeltaSupport {
  /** The root folder's inode number. */
  readonly rootId: number;
  /** Bytes of an inode record. */
  readonly inodeBytes: number;
  /**
   * Geometry, features and where inodes live: when two walks' fingerprints are equal, the same
   * inode number means the same bytes of the volume.
   */
  walkFingerprint(): Promise<string>;
  /** The byte offset of an inode's record (a function made once per delta). */
  inodeLocator(): Promise<(inode: number) => number>;
  /**
   * From now on, tells `recorder` which bytes beyond its inode each inode's entry was read from
   * (block maps, folder blocks, long symlink targets); `undefined` stops it.
   */
  recordMetadataReads(recorder: MetadataReadRecorder | undefined): void;
  /**
   * Metadata many entries share, which the per-inode reads cannot follow (NTFS's $Secure):
   * throws DeltaNotApplicable when it changed in a way that would make the delta inexact.
   */
  checkSharedMetadata?(
    before: RandomAccessReader,
    mayDiffer: (offset: number, length: number) => boolean,
  ): Promise<void>;
  root(): Promise<FsEntry>;
  listDir(dir: FsEntry): Promise<FsEntry[]>;
}

export function supportsInodeDelta(fs: FileSystem): fs is FileSystem & InodeDeltaSupport {
  return (
    typeof (fs as Partial<InodeDeltaSupport>).recordMetadataReads === 'function' &&
    typeof (fs as Partial<InodeDeltaSupport>).inodeLocator === 'function'
  );
}

/** A folder listed again by a delta walk, with every child as a full walk lists it. */
export interface DeltaListing {
  dir: FsEntry;
  children: FsEntry[];
}

export interface InodeDeltaResult {
  /** The root folder's own entry. */
  root: FsEntry;
  /** Folders whose listing is given anew, parents first (volume-delta.ts has the meaning). */
  listings: DeltaListing[];
  /** The basis for the point after this one. */
  basis: WalkBasis;
}

/** The delta cannot be taken (the volume was reformatted, too much changed …): walk it whole. */
export class DeltaNotApplicable extends Error {}

export interface InodeDeltaOptions {
  /** The new point's file system. */
  fs: InodeDeltaSupport;
  /** The volume as it was in the basis point, and as it is now (what `fs` reads). */
  before: RandomAccessReader;
  after: RandomAccessReader;
  /**
   * False when bytes [offset, offset+length) of the volume are certainly the same in both
   * points (from their disk maps); true when they may differ.
   */
  mayDiffer(offset: number, length: number): boolean;
  basis: WalkBasis;
  /**
   * Called with each listing, in order, while the file system records what it reads: the
   * catalog maps the files' extents here, so those reads go into the next basis.
   */
  onListing(listing: DeltaListing): Promise<void>;
  /**
   * A folder could not be listed: it is given empty, as a full walk skips it (the caller warns
   * the same way), and listed again at every later delta.
   */
  onFolderError(dir: FsEntry, err: unknown): void;
  /** Beyond this many entries listed again, a full walk costs about the same: give up. */
  maxEntries: number;
  signal?: AbortSignal;
}

/** Bytes of metadata compared between the points, at most (beyond: much changed, walk whole). */
const MAX_COMPARED_BYTES = 256 * 1024 * 1024;
/** Nearby metadata is compared in one read of each point, up to this size. */
const COMPARE_READ_BYTES = 1024 * 1024;
const COMPARE_MERGE_GAP = 64 * 1024;
const COMPARE_READS_IN_FLIGHT = 4;
const MAX_DEPTH = 4096;

/** Items a loop over the basis handles between looks at the clock. */
const ITEMS_PER_LOOK = 8192;
const SLICE_MS = 10;

/**
 * `await pause(i)` in a loop over the basis lets the event loop run once the engine's thread
 * has been busy for SLICE_MS: a basis holds an entry per file (a million on a big volume).
 */
function pauser(): (i: number) => Promise<void> | undefined {
  let sliceStart = performance.now();
  return (i) => {
    if ((i & (ITEMS_PER_LOOK - 1)) !== 0 || performance.now() - sliceStart < SLICE_MS) return;
    return new Promise((resolve) => setImmediate(resolve)).then(() => {
      sliceStart = performance.now();
    });
  };
}

/** A piece of metadata to compare: an inode slot, or a run of blocks read for an inode. */
interface Probe {
  offset: number;
  length: number;
  inode: number;
}

/**
 * The inodes whose entries may have changed: those whose slot differs between the points, or
 * one of the blocks their entry was read from. Only metadata inside changed ranges is read, from
 * both points, in merged reads.
 */
async function changedInodes(o: InodeDeltaOptions): Promise<Set<number>> {
  const { basis } = o;
  const locate = await o.fs.inodeLocator();
  const inodeBytes = o.fs.inodeBytes;
  const probes: Probe[] = [];
  const seen = new Set<number>();
  const pause = pauser();
  for (let i = 0; i < basis.inodes.length; i++) {
    await pause(i);
    const inode = basis.inodes[i]!;
    if (seen.has(inode)) continue;
    seen.add(inode);
    const offset = locate(inode);
    if (o.mayDiffer(offset, inodeBytes)) probes.push({ offset, length: inodeBytes, inode });
  }
  for (let i = 0; i < basis.readInodes.length; i++) {
    await pause(i);
    const offset = basis.readOffsets[i]!;
    const length = basis.readLengths[i]!;
    if (o.mayDiffer(offset, length)) probes.push({ offset, length, inode: basis.readInodes[i]! });
  }
  probes.sort((a, b) => a.offset - b.offset);
  // Nearby probes share a read; the reads go several at a time (old chunks decode on the
  // repository's worker threads).
  const regions: { start: number; end: number; probes: Probe[] }[] = [];
  let compared = 0;
  for (let i = 0; i < probes.length;) {
    const region = {
      start: probes[i]!.offset,
      end: probes[i]!.offset + probes[i]!.length,
      probes: [probes[i]!],
    };
    for (i++; i < probes.length; i++) {
      const p = probes[i]!;
      const end = Math.max(region.end, p.offset + p.length);
      if (p.offset > region.end + COMPARE_MERGE_GAP || end - region.start > COMPARE_READ_BYTES)
        break;
      region.end = end;
      region.probes.push(p);
    }
    compared += region.end - region.start;
    if (compared > MAX_COMPARED_BYTES)
      throw new DeltaNotApplicable('over 256 MiB of its metadata changed');
    regions.push(region);
  }
  const dirty = new Set<number>();
  const compare = async (region: (typeof regions)[number]): Promise<void> => {
    if (o.signal?.aborted) throw o.signal.reason;
    const length = region.end - region.start;
    const [was, now] = await Promise.all([
      o.before.read(region.start, length),
      o.after.read(region.start, length),
    ]);
    for (const p of region.probes) {
      const from = p.offset - region.start;
      const a = Buffer.from(was.buffer, was.byteOffset + from, p.length);
      if (!a.equals(Buffer.from(now.buffer, now.byteOffset + from, p.length))) dirty.add(p.inode);
    }
  };
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < regions.length) await compare(regions[next++]!);
  };
  await Promise.all(Array.from({ length: COMPARE_READS_IN_FLIGHT }, reader));
  return dirty;
}

/** The basis's tree of folders: each folder's parent and its child folders. */
async function folderTree(basis: WalkBasis, rootId: number) {
  const parentOf = new Map<number, number>();
  const childFolders = new Map<number, number[]>();
  const pause = pauser();
  for (let i = 0; i < basis.inodes.length; i++) {
    await pause(i);
    const inode = basis.inodes[i]!;
    if (!basis.folderNames.has(inode)) continue;
    const parent = basis.parents[i]!;
    parentOf.set(inode, parent);
    if (parent === 0) continue;
    let list = childFolders.get(parent);
    if (!list) childFolders.set(parent, (list = []));
    list.push(inode);
  }
  /** Root first, down to `folder`; null when the basis does not reach it from the root. */
  const chainOf = (folder: number): number[] | null => {
    const chain = [folder];
    let at = folder;
    while (at !== rootId) {
      const up = parentOf.get(at);
      if (up === undefined || up === 0 || chain.length > MAX_DEPTH) return null;
      chain.push(up);
      at = up;
    }
    return chain.reverse();
  };
  return { parentOf, childFolders, chainOf };
}

/**
 * Catalogs a volume from what changed since its basis point, as a full walk would: lists
 * again only the folders where an entry changed, came or went, and walks whole the folders that
 * are new at their path (created, renamed or moved, with everything below). Exact because an
 * entry depends only on its inode's bytes and the blocks its basis recorded for it.
 */
export async function walkInodeDelta(o: InodeDeltaOptions): Promise<InodeDeltaResult> {
  const { fs, basis } = o;
  const fingerprint = await fs.walkFingerprint();
  if (fingerprint !== basis.fingerprint)
    throw new DeltaNotApplicable('its geometry or features changed (resized or reformatted)');
  await fs.checkSharedMetadata?.(o.before, (offset, length) => o.mayDiffer(offset, length));
  const dirty = await changedInodes(o);

  const tree = await folderTree(basis, fs.rootId);

  // Folders to list again: every changed folder, and the folders holding a changed entry.
  const relist = new Set<number>();
  const pause = pauser();
  for (let i = 0; i < basis.inodes.length; i++) {
    await pause(i);
    const inode = basis.inodes[i]!;
    if (!dirty.has(inode)) continue;
    if (basis.folderNames.has(inode)) relist.add(inode);
    if (basis.parents[i] !== 0) relist.add(basis.parents[i]!);
  }
  for (const folder of basis.brokenFolders) relist.add(folder);
  const ordered: { folder: number; chain: number[] }[] = [];
  for (const folder of relist) {
    const chain = tree.chainOf(folder);
    if (!chain)
      throw new DeltaNotApplicable(`folder inode ${folder} is not reachable in its basis`);
    ordered.push({ folder, chain });
  }
  ordered.sort((a, b) => a.chain.length - b.chain.length);

  const listed = new Map<number, Map<string, FsEntry>>();
  const listings: DeltaListing[] = [];
  const reread = new Set<number>();
  const broken = new Set<number>();
  /** Basis folders found at a new path: they must have left the old one (checked at the end). */
  const arrived: number[] = [];
  let entries = 0;
  const reads = { inodes: [] as number[], offsets: [] as number[], lengths: [] as number[] };

  const isBasisChildFolder = (parent: number, child: FsEntry): boolean =>
    tree.parentOf.get(child.id) === parent && basis.folderNames.get(child.id) === child.name;

  /** Lists `dir`; `whole`: its path is new, so every folder below is listed too. */
  const list = async (dir: FsEntry, whole: boolean, depth: number): Promise<void> => {
    if (listed.has(dir.id))
      throw new DeltaNotApplicable(`folder ${dir.path} was reached twice (a damaged tree)`);
    if (depth > MAX_DEPTH) throw new DeltaNotApplicable(`folder ${dir.path} is too deep`);
    if (o.signal?.aborted) throw o.signal.reason;
    let children: FsEntry[] = [];
    try {
      children = await fs.listDir(dir);
    } catch (err) {
      if (o.signal?.aborted) throw err;
      o.onFolderError(dir, err);
      broken.add(dir.id);
    }
    entries += children.length;
    if (entries > o.maxEntries) throw new DeltaNotApplicable('too many folders changed');
    listed.set(dir.id, new Map(children.map((c) => [c.name, c])));
    reread.add(dir.id);
    for (const c of children) if (c.type !== 'dir') reread.add(c.id);
    const listing = { dir, children };
    listings.push(listing);
    await o.onListing(listing);
    for (const c of children)
      if (c.type === 'dir' && (whole || !isBasisChildFolder(dir.id, c))) {
        if (tree.parentOf.has(c.id)) arrived.push(c.id);
        await list(c, true, depth + 1);
      }
  };

  /** True when every step of the basis path to a folder still holds in what was listed. */
  const stillThere = (chain: readonly number[]): boolean => {
    for (let k = 1; k < chain.length; k++) {
      const now = listed.get(chain[k - 1]!)?.get(basis.folderNames.get(chain[k]!)!);
      if (listed.has(chain[k - 1]!) && (now?.type !== 'dir' || now.id !== chain[k])) return false;
    }
    return true;
  };

  fs.recordMetadataReads((inode, offset, length) => {
    reads.inodes.push(inode);
    reads.offsets.push(offset);
    reads.lengths.push(length);
  });
  let root: FsEntry;
  try {
    root = await fs.root();
    for (const { folder, chain } of ordered) {
      if (listed.has(folder) || !stillThere(chain)) continue; // listed whole, moved or gone
      const names = chain.slice(1).map((f) => basis.folderNames.get(f)!);
      const path = names.length === 0 ? '/' : `/${names.join('/')}`;
      // All listDir needs of a folder is its inode and path; its own entry is its parent's.
      const dir: FsEntry = {
        ...{ id: folder, name: names.at(-1) ?? '', path, type: 'dir', size: 0, nlink: 1 },
        flags: { sparse: false, compressed: false, encrypted: false },
      };
      await list(dir, false, chain.length - 1);
    }
    // A folder at two paths is a damaged tree: a full walk lists it at the first it meets,
    // which depends on the walk's order, so only a full walk says what it catalogs.
    for (const folder of arrived) {
      const chain = tree.chainOf(folder);
      if (chain && stillThere(chain))
        throw new DeltaNotApplicable(`folder inode ${folder} is reached by two paths`);
    }
  } finally {
    fs.recordMetadataReads(undefined);
  }

  const next = { listed, reread, broken, reads };
  return { root, listings, basis: await nextBasis(basis, fingerprint, tree, next) };
}

/** The basis after the delta: the listed folders' children replaced, removed subtrees dropped. */
async function nextBasis(
  basis: WalkBasis,
  fingerprint: string,
  tree: Awaited<ReturnType<typeof folderTree>>,
  walked: {
    listed: ReadonlyMap<number, ReadonlyMap<string, FsEntry>>;
    /** Inodes whose blocks were read again (their old reads are stale). */
    reread: ReadonlySet<number>;
    broken: ReadonlySet<number>;
    reads: { inodes: number[]; offsets: number[]; lengths: number[] };
  },
): Promise<WalkBasis> {
  const { listed, reread, reads } = walked;
  const pause = pauser();
  // Folders whose basis children go: the listed ones, and every folder of a subtree that left.
  const dropped = new Set<number>(listed.keys());
  const gone: number[] = [];
  for (const [folder, now] of listed)
    for (const child of tree.childFolders.get(folder) ?? []) {
      const entry = now.get(basis.folderNames.get(child)!);
      if (entry?.type !== 'dir' || entry.id !== child) gone.push(child);
    }
  while (gone.length > 0) {
    const folder = gone.pop()!;
    if (dropped.has(folder)) continue;
    dropped.add(folder);
    gone.push(...(tree.childFolders.get(folder) ?? []));
  }
  const inodes: number[] = [];
  const parents: number[] = [];
  const folderNames = new Map<number, string>();
  for (let i = 0; i < basis.inodes.length; i++) {
    await pause(i);
    if (dropped.has(basis.parents[i]!)) continue;
    const inode = basis.inodes[i]!;
    inodes.push(inode);
    parents.push(basis.parents[i]!);
    const name = basis.folderNames.get(inode);
    if (name !== undefined) folderNames.set(inode, name);
  }
  for (const [folder, children] of listed)
    for (const child of children.values()) {
      inodes.push(child.id);
      parents.push(folder);
      if (child.type === 'dir') folderNames.set(child.id, child.name);
    }
  const present = new Set(inodes);
  for (let i = 0; i < basis.readInodes.length; i++) {
    await pause(i);
    const inode = basis.readInodes[i]!;
    if (reread.has(inode) || !present.has(inode)) continue;
    reads.inodes.push(inode);
    reads.offsets.push(basis.readOffsets[i]!);
    reads.lengths.push(basis.readLengths[i]!);
  }
  // A broken folder not listed this time is gone (it is always listed while it is there).
  return makeBasis(fingerprint, inodes, parents, folderNames, new Set(walked.broken), reads);
}

import { HyperkeepError } from '../../../shared/errors';
import type { CatalogRecord } from './catalog-record';
import { LineWriter } from './index-line-writer';
import { decodePointIndex } from './point-index-object';
import type { ChangedFolder, VolumeDelta } from './volume-delta';

/**
 * An incremental point's file index for one volume, made from its basis point's index object
 * and a VolumeDelta instead of a full walk. Parsing every line of the basis (JSON + schema)
 * takes seconds for a million files, so its lines are only scanned: each one's volume, parent
 * and type are read, names only of the children of folders on the way to a changed folder.
 * Unchanged lines are copied as bytes with their volume and parent rewritten (positions move as
 * lines are dropped and added); the lines of re-listed folders' children and of the subtrees of
 * children that went away are dropped, and the new listings are encoded and put right after
 * their folder, so parents still come first.
 */

/** One volume's lines, ready for PointIndexEncoder.addLines. */
export interface SplicedVolume {
  /** Whole lines, each ending in '\n', in chunks of about a MiB. */
  chunks: Buffer[];
  records: number;
  /** Records that are not folders: what a walk counts as the volume's files. */
  files: number;
}

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIR_CODE = 1;
/** newPos of a basis line that is not in the new index. */
const DROPPED = -1;
/** Lines between the points where an asynchronous splice may let the event loop run. */
const LINES_PER_STEP = 4096;
const SLICE_MS = 10;

/** A changed folder, once placed in the basis tree and the new one. */
interface FolderPlan {
  folder: ChangedFolder;
  /** Its position in delta.folders. */
  index: number;
  /** The basis tree's folder line at the same path, -1 when there is none. */
  basisLine: number;
  /** Its record is that line, kept; else it is in its parent's new listing, or is delta.root. */
  ownLineKept: boolean;
  childByName?: Map<string, CatalogRecord>;
}

const parentPathOf = (path: string) => {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
};
const childPath = (path: string, name: string) => (path === '/' ? `/${name}` : `${path}/${name}`);
const VALID_PATH = /^(\/[^/]+)+$/;
type Fail = (reason: 'CORRUPT' | 'DELTA_MISMATCH', why: string) => HyperkeepError;

/**
 * The new point's record lines of volume `volumeName` (found by name in the basis header), for
 * slot `slot` of the new point's header. Decoded, they give exactly the tree of a full walk:
 * delta.root, every changed folder's listing as given, every other folder's listing as the
 * basis had it at the same path. Throws a HyperkeepError (details.reason 'CORRUPT' or
 * 'DELTA_MISMATCH') when the basis has no records for the volume, a line is damaged, or the
 * delta does not fit the basis: the caller then walks the volume fully.
 */
export function splicePointIndexVolume(
  basis: Uint8Array,
  volumeName: string,
  slot: number,
  delta: VolumeDelta,
): SplicedVolume {
  const steps = splicing(basis, volumeName, slot, delta);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * splicePointIndexVolume letting the event loop run every SLICE_MS: a volume of a million
 * files takes a few hundred milliseconds to splice, which a job must not hold the engine for.
 */
export async function splicePointIndexVolumeAsync(
  basis: Uint8Array,
  volumeName: string,
  slot: number,
  delta: VolumeDelta,
): Promise<SplicedVolume> {
  const steps = splicing(basis, volumeName, slot, delta);
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

/** The splice as steps: it yields every LINES_PER_STEP lines, where the caller may pause. */
function* splicing(
  basis: Uint8Array,
  volumeName: string,
  slot: number,
  delta: VolumeDelta,
): Generator<void, SplicedVolume> {
  const pointId = delta.basisPointId;
  const fail: Fail = (reason, why) =>
    new HyperkeepError(
      'INTERNAL',
      `The file index of volume ${volumeName} cannot be made from that of restore point ${pointId}: ${why}`,
      { reason, point: pointId, volume: volumeName },
    );
  const buf = Buffer.from(basis.buffer, basis.byteOffset, basis.byteLength);
  const header = decodePointIndex(buf, pointId).header;
  const volume = header.volumes.findIndex((v) => v.name === volumeName);
  if (volume < 0) throw fail('DELTA_MISMATCH', 'that point has no such volume');
  if (delta.root.type !== 'dir') throw fail('DELTA_MISMATCH', 'the root record is not a folder');

  const plans = new Map<string, FolderPlan>();
  const wanted = new Set<string>();
  delta.folders.forEach((folder, index) => {
    const path = folder.path;
    if (path !== '/' && !VALID_PATH.test(path))
      throw fail('DELTA_MISMATCH', `${JSON.stringify(path)} is not a folder path`);
    if (plans.has(path)) throw fail('DELTA_MISMATCH', `folder ${path} is listed twice`);
    plans.set(path, { folder, index, basisLine: -1, ownLineKept: false });
    for (let p = path; !wanted.has(p); p = parentPathOf(p)) {
      wanted.add(p);
      if (p === '/') break;
    }
  });

  const lines = yield* scanVolume(buf, buf.indexOf(NEWLINE) + 1, volume, wanted, fail);
  placeFolders(plans, lines.folderAt, fail);
  return yield* emit(buf, lines, plans, slot, delta.root, fail);
}

/** The basis volume's lines, read as far as splicing needs. */
interface ScannedVolume {
  count: number;
  parent: Int32Array;
  type: Uint8Array;
  /** Byte offsets of each line's name field (its opening quote) and of its end. */
  nameAt: Float64Array;
  endAt: Float64Array;
  /** Folders whose path leads to a changed folder: their line by path … */
  folderAt: Map<string, number>;
  /** … and their children's lines by name. */
  childrenOf: Map<number, Map<string, number>>;
}

function grow<T extends Int32Array | Uint8Array | Float64Array>(a: T, size: number): T {
  const bigger = new (a.constructor as new (n: number) => T)(size);
  bigger.set(a);
  return bigger;
}

/**
 * Reads the lines of `volume`: contiguous, parents first, '[volume,parent,"name",type,…]'. Names
 * are decoded only under the folders of `wanted` paths.
 */
function* scanVolume(
  buf: Buffer,
  bodyStart: number,
  volume: number,
  wanted: ReadonlySet<string>,
  fail: Fail,
): Generator<void, ScannedVolume> {
  let capacity = 1 << 16;
  let parent = new Int32Array(capacity);
  let type = new Uint8Array(capacity);
  let nameAt = new Float64Array(capacity);
  let endAt = new Float64Array(capacity);
  const folderAt = new Map<string, number>();
  const childrenOf = new Map<number, Map<string, number>>();
  const pathOf = new Map<number, string>();
  let count = 0;
  let lineNo = 1;
  let at = bodyStart;
  let end = 0;
  const damaged = () => fail('CORRUPT', `line ${lineNo} is damaged`);
  /** Reads an integer at `at`; leaves `at` after it. */
  const integer = (): number => {
    const negative = buf[at] === MINUS;
    if (negative) at++;
    const start = at;
    let n = 0;
    for (let c = buf[at]! - DIGIT_0; at < end && c >= 0 && c <= 9; c = buf[++at]! - DIGIT_0)
      n = n * 10 + c;
    if (at === start || at - start > 10) throw damaged();
    return negative ? -n : n;
  };
  const expect = (byte: number) => {
    if (buf[at++] !== byte) throw damaged();
  };

  for (; at < buf.length; at = end + 1) {
    if ((++lineNo & (LINES_PER_STEP - 1)) === 0) yield;
    end = buf.indexOf(NEWLINE, at);
    if (end < 0) end = buf.length;
    expect(OPEN);
    const v = integer();
    if (v !== volume) {
      if (count > 0) break; // the volume's lines are contiguous: it ended
      continue;
    }
    expect(COMMA);
    const up = integer();
    expect(COMMA);
    const nameStart = at;
    expect(QUOTE);
    while (at < end && buf[at] !== QUOTE) at += buf[at] === BACKSLASH ? 2 : 1;
    if (at >= end) throw damaged();
    at++;
    const nameEnd = at;
    expect(COMMA);
    const code = buf[at++]! - DIGIT_0;
    expect(COMMA);
    if (code < 0 || code > 3 || buf[end - 1] !== CLOSE) throw damaged();
    if (
      count === 0
        ? up !== -1 || code !== DIR_CODE
        : !(up >= 0 && up < count && type[up] === DIR_CODE)
    )
      throw damaged();
    if (count === capacity) {
      capacity *= 2;
      parent = grow(parent, capacity);
      type = grow(type, capacity);
      nameAt = grow(nameAt, capacity);
      endAt = grow(endAt, capacity);
    }
    parent[count] = up;
    type[count] = code;
    nameAt[count] = nameStart;
    endAt[count] = end;
    if (count === 0 && wanted.has('/')) {
      pathOf.set(0, '/');
      folderAt.set('/', 0);
    } else if (count > 0 && pathOf.has(up)) {
      let name: unknown;
      try {
        name = JSON.parse(buf.toString('utf8', nameStart, nameEnd));
      } catch {
        throw damaged();
      }
      if (typeof name !== 'string') throw damaged();
      let children = childrenOf.get(up);
      if (!children) childrenOf.set(up, (children = new Map()));
      children.set(name, count);
      const path = childPath(pathOf.get(up)!, name);
      if (code === DIR_CODE && wanted.has(path)) {
        pathOf.set(count, path);
        folderAt.set(path, count);
      }
    }
    count++;
  }
  if (count === 0) throw fail('DELTA_MISMATCH', 'that point has no records of it');
  return { count, parent, type, nameAt, endAt, folderAt, childrenOf };
}

function childOf(plan: FolderPlan, name: string): CatalogRecord | undefined {
  plan.childByName ??= new Map(plan.folder.children.map((c) => [c.name, c]));
  return plan.childByName.get(name);
}

/**
 * Finds each changed folder in the basis tree and checks it is in the new one: its parent is a
 * changed folder earlier in the list that has it as a child folder, or a basis folder that is
 * in the new tree and keeps its basis listing.
 */
function placeFolders(
  plans: Map<string, FolderPlan>,
  folderAt: ReadonlyMap<string, number>,
  fail: Fail,
): void {
  /** The plan of a changed folder at `path`, which must come before the one at `index`. */
  const earlier = (path: string, index: number): FolderPlan | undefined => {
    const plan = plans.get(path);
    if (plan && plan.index > index)
      throw fail('DELTA_MISMATCH', `folder ${path} comes after a folder inside it`);
    return plan;
  };
  const inNewTree = (path: string, index: number): boolean => {
    if (path === '/' || earlier(path, index)) return true;
    const parentPlan = earlier(parentPathOf(path), index);
    if (parentPlan)
      return childOf(parentPlan, path.slice(path.lastIndexOf('/') + 1))?.type === 'dir';
    return folderAt.has(path) && inNewTree(parentPathOf(path), index);
  };
  for (const plan of plans.values()) {
    const path = plan.folder.path;
    plan.basisLine = folderAt.get(path) ?? -1;
    if (path === '/') continue;
    const parentPlan = earlier(parentPathOf(path), plan.index);
    if (parentPlan) {
      if (childOf(parentPlan, path.slice(path.lastIndexOf('/') + 1))?.type !== 'dir')
        throw fail('DELTA_MISMATCH', `folder ${path} is not in its parent's new listing`);
    } else {
      if (plan.basisLine < 0 || !inNewTree(parentPathOf(path), plan.index))
        throw fail(
          'DELTA_MISMATCH',
          `folder ${path} is neither in that point nor in a new listing`,
        );
      plan.ownLineKept = true;
    }
  }
}

/**
 * Writes the new volume: delta.root, then the basis lines in order, each changed folder's new
 * listing right after its own record (and the listings of changed folders inside it after that).
 */
function* emit(
  buf: Buffer,
  lines: ScannedVolume,
  plans: ReadonlyMap<string, FolderPlan>,
  slot: number,
  root: CatalogRecord,
  fail: Fail,
): Generator<void, SplicedVolume> {
  const RELISTED = 1;
  const LISTED_HERE = 2;
  const flags = new Uint8Array(lines.count);
  const listedAt = new Map<number, FolderPlan>();
  for (const plan of plans.values()) {
    if (plan.basisLine >= 0) flags[plan.basisLine] = flags[plan.basisLine]! | RELISTED;
    if (plan.ownLineKept) {
      flags[plan.basisLine] = flags[plan.basisLine]! | LISTED_HERE;
      listedAt.set(plan.basisLine, plan);
    }
  }
  /** Basis child folders of re-listed folders that keep their listing: their new position. */
  const carried = new Map<number, number>();
  const out = new LineWriter();
  let files = 0;
  let listed = 0;

  const list = (first: FolderPlan, firstPosition: number) => {
    const queue: [FolderPlan, number][] = [[first, firstPosition]];
    for (let k = 0; k < queue.length; k++) {
      const [plan, position] = queue[k]!;
      listed++;
      const basisChildren = plan.basisLine >= 0 ? lines.childrenOf.get(plan.basisLine) : undefined;
      for (const child of plan.folder.children) {
        if (!child.name || child.name.includes('/'))
          throw fail('DELTA_MISMATCH', `${JSON.stringify(child.name)} is not a file name`);
        const at = out.encoded(slot, child, position);
        if (child.type !== 'dir') {
          files++;
          continue;
        }
        const path = childPath(plan.folder.path, child.name);
        const sub = plans.get(path);
        if (sub) {
          queue.push([sub, at]);
          continue;
        }
        const before = basisChildren?.get(child.name);
        if (before === undefined || lines.type[before] !== DIR_CODE)
          throw fail('DELTA_MISMATCH', `folder ${path} is new but its listing is not given`);
        carried.set(before, at);
      }
    }
  };

  const newPos = new Int32Array(lines.count);
  newPos[0] = out.encoded(slot, root, -1);
  const rootPlan = plans.get('/');
  if (rootPlan) list(rootPlan, 0);
  for (let i = 1; i < lines.count; i++) {
    if ((i & (LINES_PER_STEP - 1)) === 0) yield;
    const up = lines.parent[i]!;
    if (flags[up]! & RELISTED) {
      newPos[i] = carried.get(i) ?? DROPPED;
      continue;
    }
    const parentPos = newPos[up]!;
    if (parentPos === DROPPED) {
      newPos[i] = DROPPED;
      continue;
    }
    const position = out.copied(slot, parentPos, buf, lines.nameAt[i]!, lines.endAt[i]!);
    newPos[i] = position;
    if (lines.type[i] !== DIR_CODE) files++;
    if (flags[i]! & LISTED_HERE) list(listedAt.get(i)!, position);
  }
  // placeFolders made sure each changed folder has a place in the new tree.
  if (listed !== plans.size) throw fail('DELTA_MISMATCH', 'some changed folders have no place');
  return { chunks: out.finish(), records: out.records, files };
}

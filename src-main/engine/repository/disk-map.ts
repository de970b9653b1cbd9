import { ByteReader, ByteWriter, FormatError, fromHex, toHex } from './binary';

/** Bytes [offset, offset+length) of the disk are bytes [chunkOffset, chunkOffset+length) of a chunk. */
export interface DiskRun {
  offset: number;
  length: number;
  chunk: string;
  chunkOffset: number;
}

/** A half-open byte range [offset, offset+length). */
export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * What one disk of a restore point is made of. Bytes covered by no run read as zeros: that is how
 * holes and all-zero ranges cost nothing. `allocated` is the allocation map of the source disk
 * (ranges the hypervisor reported as allocated, zero or not), so a restore can stay thin.
 */
export interface DiskMap {
  sizeBytes: number;
  runs: DiskRun[];
  allocated: ByteRange[];
}

/**
 * Binary layout (little-endian), stored as a blob of type DiskMap (zstd + sealed like chunks):
 *   "HKDM" | u32 version=1 | u64 disk size |
 *   u32 id count | ids (32 bytes each) |
 *   u32 run count | runs: u64 offset, u32 length, u32 id index, u32 offset in chunk |
 *   u32 range count | allocated ranges: u64 offset, u64 length
 * Runs and ranges are sorted and disjoint.
 */
const MAGIC = 'HKDM';
const RUN_BYTES = 20;

export function encodeDiskMap(map: DiskMap): Uint8Array {
  const ids = new Map<string, number>();
  for (const r of map.runs) if (!ids.has(r.chunk)) ids.set(r.chunk, ids.size);
  const w = new ByteWriter();
  w.bytes(Buffer.from(MAGIC, 'latin1')).u32(1).u64(map.sizeBytes);
  w.u32(ids.size);
  for (const id of ids.keys()) w.bytes(fromHex(id));
  w.u32(map.runs.length);
  for (const r of map.runs) w.u64(r.offset).u32(r.length).u32(ids.get(r.chunk)!).u32(r.chunkOffset);
  w.u32(map.allocated.length);
  for (const a of map.allocated) w.u64(a.offset).u64(a.length);
  return w.finish();
}

export function decodeDiskMap(bytes: Uint8Array, where: string): DiskMap {
  const r = new ByteReader(bytes, where);
  r.expectMagic(MAGIC);
  const version = r.u32('version');
  if (version !== 1)
    throw new FormatError(`${where}: disk map version ${version} is not supported`);
  const sizeBytes = r.u64('disk size');
  const idCount = r.count(32, 'chunk id count');
  const ids: string[] = [];
  for (let i = 0; i < idCount; i++) ids.push(toHex(r.bytes(32, 'chunk id')));
  const runCount = r.count(RUN_BYTES, 'run count');
  const runs: DiskRun[] = [];
  let end = 0;
  for (let i = 0; i < runCount; i++) {
    const offset = r.u64('run offset');
    const length = r.u32('run length');
    const idIndex = r.u32('run chunk index');
    const chunkOffset = r.u32('run offset in chunk');
    const chunk = ids[idIndex];
    if (chunk === undefined)
      throw new FormatError(`${where}: run ${i} names chunk #${idIndex} of ${idCount}`);
    if (length === 0 || offset < end || offset + length > sizeBytes) {
      throw new FormatError(
        `${where}: run ${i} (${offset}+${length}) overlaps its predecessor or passes the disk end ${sizeBytes}`,
      );
    }
    end = offset + length;
    runs.push({ offset, length, chunk, chunkOffset });
  }
  const rangeCount = r.count(16, 'allocated range count');
  const allocated: ByteRange[] = [];
  end = 0;
  for (let i = 0; i < rangeCount; i++) {
    const offset = r.u64('range offset');
    const length = r.u64('range length');
    if (length === 0 || offset < end || offset + length > sizeBytes) {
      throw new FormatError(
        `${where}: allocated range ${i} (${offset}+${length}) is out of order or past the disk end`,
      );
    }
    end = offset + length;
    allocated.push({ offset, length });
  }
  r.expectEnd();
  return { sizeBytes, runs, allocated };
}

/** Index of the first run (or range) that ends after `offset` (runs.length if none). */
export function firstRunEndingAfter(runs: readonly ByteRange[], offset: number): number {
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const r = runs[mid]!;
    if (r.offset + r.length <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when [offset, offset+length) meets one of the sorted, disjoint ranges. */
export function rangesTouch(ranges: readonly ByteRange[], offset: number, length: number): boolean {
  const r = ranges[firstRunEndingAfter(ranges, offset)];
  return r !== undefined && r.offset < offset + length;
}

/** The parts of `runs` inside [start, end), cut at the edges (chunkOffset adjusted). */
export function clipRuns(runs: readonly DiskRun[], start: number, end: number): DiskRun[] {
  const out: DiskRun[] = [];
  for (let i = firstRunEndingAfter(runs, start); i < runs.length; i++) {
    const r = runs[i]!;
    if (r.offset >= end) break;
    const s = Math.max(r.offset, start);
    const e = Math.min(r.offset + r.length, end);
    out.push({
      offset: s,
      length: e - s,
      chunk: r.chunk,
      chunkOffset: r.chunkOffset + (s - r.offset),
    });
  }
  return out;
}

/** The parts of sorted disjoint `ranges` inside [start, end). */
export function clipRanges(ranges: readonly ByteRange[], start: number, end: number): ByteRange[] {
  const out: ByteRange[] = [];
  for (const r of ranges) {
    const s = Math.max(r.offset, start);
    const e = Math.min(r.offset + r.length, end);
    if (s < e) out.push({ offset: s, length: e - s });
  }
  return out;
}

/** Sorts and merges touching or overlapping ranges. */
export function mergeRanges(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = [...ranges].filter((r) => r.length > 0).sort((a, b) => a.offset - b.offset);
  const out: ByteRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.offset <= last.offset + last.length) {
      last.length = Math.max(last.length, r.offset + r.length - last.offset);
    } else {
      out.push({ ...r });
    }
  }
  return out;
}

export function totalLength(ranges: readonly ByteRange[]): number {
  let n = 0;
  for (const r of ranges) n += r.length;
  return n;
}

/**
 * Byte ranges whose content may differ between two maps of a disk: where one has a run and the
 * other none, or their runs take the bytes from different chunks or places. Equal chunk ids mean
 * equal bytes, so everything else is certainly unchanged. Sorted and merged; costs the runs.
 */
export function differingRanges(before: DiskMap, after: DiskMap): ByteRange[] {
  const out: ByteRange[] = [];
  const add = (offset: number, end: number): void => {
    const last = out[out.length - 1];
    if (last && last.offset + last.length === offset) last.length = end - last.offset;
    else out.push({ offset, length: end - offset });
  };
  const common = Math.min(before.sizeBytes, after.sizeBytes);
  const a = before.runs;
  const b = after.runs;
  let i = 0;
  let j = 0;
  for (let pos = 0; pos < common;) {
    while (i < a.length && a[i]!.offset + a[i]!.length <= pos) i++;
    while (j < b.length && b[j]!.offset + b[j]!.length <= pos) j++;
    const ra = a[i];
    const rb = b[j];
    const inA = ra !== undefined && ra.offset <= pos;
    const inB = rb !== undefined && rb.offset <= pos;
    let next = common;
    if (ra) next = Math.min(next, inA ? ra.offset + ra.length : ra.offset);
    if (rb) next = Math.min(next, inB ? rb.offset + rb.length : rb.offset);
    const same =
      (!inA && !inB) ||
      (inA &&
        inB &&
        ra.chunk === rb.chunk &&
        ra.chunkOffset - ra.offset === rb.chunkOffset - rb.offset);
    if (!same) add(pos, next);
    pos = next;
  }
  const size = Math.max(before.sizeBytes, after.sizeBytes);
  if (common < size) add(common, size);
  return out;
}

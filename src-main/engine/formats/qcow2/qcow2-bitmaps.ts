import { hex, safeNumber, u16be, u32be, u64beBig } from '../binary';
import type { RawImage } from '../raw/raw-image';
import type { Qcow2Header } from './qcow2-header';

/**
 * Persistent dirty bitmaps of qcow2 images (https://qemu.org/docs/interop/qcow2.html, "Bitmaps
 * extension" and "Bitmaps"). libvirt names each checkpoint's bitmap after the checkpoint and QEMU
 * stores it in the image when the VM stops, so a powered-off VM's image says where the guest
 * wrote since the checkpoint. Everything that makes that answer doubtful is reported as a reason
 * instead: the backup then compares blocks, which is slower but never wrong.
 */

/** Where the guest wrote since persistent bitmap `name` began tracking, or why that cannot be known. */
export type ChangedSince =
  /**
   * Guest byte ranges, sorted, merged, clipped to the virtual size. Past MAX_RANGES fragments,
   * nearby ranges are joined: a few unchanged bytes read again cost less than unbounded memory.
   */
  | { ranges: { offset: number; length: number }[] }
  /** A sentence fragment for a job log. */
  | { unusable: string };

const AUTOCLEAR_BITMAPS = 1n; // autoclear_features bit 0: the bitmaps extension is consistent
const MAX_BITMAPS = 65535; // QCOW2_MAX_BITMAPS
const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024; // QCOW2_MAX_BITMAP_DIRECTORY_SIZE
const ENTRY_HEADER_BYTES = 24;
const MAX_NAME_BYTES = 1023;
const FLAG_IN_USE = 1 << 0;
const FLAG_AUTO = 1 << 1;
const FLAG_EXTRA_DATA_COMPATIBLE = 1 << 2;
const KNOWN_FLAGS = FLAG_IN_USE | FLAG_AUTO | FLAG_EXTRA_DATA_COMPATIBLE;
const TYPE_DIRTY_TRACKING = 1;
const MIN_GRANULARITY_BITS = 9;
const MAX_GRANULARITY_BITS = 31;
/** qemu keeps a bitmap in memory and refuses more than 512 MiB of it (BME_MAX_PHYS_SIZE). */
const MAX_BITMAP_BYTES = 512 * 1024 * 1024;
/** Table entry bits 1..8 and 56..63 are reserved; 9..55 hold the data cluster's offset. */
const TABLE_RESERVED_MASK = 0xff000000000001fen;
const TABLE_OFFSET_MASK = 0x00fffffffffffe00n;
const TABLE_ALL_ONES = 1n;
/** Data clusters that follow on in the file are read together, up to this much at a time. */
const MAX_READ_BYTES = 8 * 1024 * 1024;
/** About 12 MiB of range objects; more fragments than this get joined (see ChangedSince). */
export const MAX_RANGES = 1 << 18;

/** Why the bitmap cannot be used; thrown inside this module, returned as `unusable`. */
class Unusable extends Error {}

interface BitmapEntry {
  name: string;
  tableOffset: bigint;
  tableSize: number;
  flags: number;
  type: number;
  granularityBits: number;
  extraDataSize: number;
}

/** Reads bitmap `name` of the image in `file` (whose header is `header`); never throws for damage. */
export async function changedSince(
  file: RawImage,
  header: Qcow2Header,
  name: string,
): Promise<ChangedSince> {
  try {
    const entry = await findBitmap(file, header, name);
    const granularity = checkEntry(entry, header, file.size);
    const table = await readTable(file, header, entry);
    return { ranges: await dirtyRanges(file, header, table, granularity) };
  } catch (err) {
    if (err instanceof Unusable) return { unusable: err.message };
    throw err;
  }
}

function clusterSize(header: Qcow2Header): number {
  return 2 ** header.clusterBits;
}

/** The directory entry named `name`, after checking the extension and the whole directory. */
async function findBitmap(file: RawImage, header: Qcow2Header, name: string): Promise<BitmapEntry> {
  const ext = header.bitmapsExtension;
  if (header.version === 2)
    throw new Unusable('the image is qcow2 version 2, which cannot hold persistent bitmaps');
  if (ext === undefined) throw new Unusable('the image holds no persistent bitmaps');
  if ((header.autoclearFeatures & AUTOCLEAR_BITMAPS) === 0n) {
    throw new Unusable(
      "the image's bitmaps are stale: a program without bitmap support wrote to the image " +
        'after QEMU stored them (autoclear bit 0 is clear)',
    );
  }
  const damaged = (detail: string): Unusable =>
    new Unusable(`the bitmap directory is damaged: ${detail}`);
  if (ext.length !== 24) throw damaged(`the bitmaps extension is ${ext.length} bytes, not 24`);
  if (ext.reserved !== 0) throw damaged('reserved bits of the bitmaps extension are set');
  if (ext.nbBitmaps === 0 || ext.nbBitmaps > MAX_BITMAPS)
    throw damaged(`the header counts ${ext.nbBitmaps} bitmaps (1 to ${MAX_BITMAPS} allowed)`);
  const size = safeNumber(ext.directorySize);
  const offset = safeNumber(ext.directoryOffset);
  if (size === undefined || size === 0 || size > MAX_DIRECTORY_BYTES)
    throw damaged(`it is ${ext.directorySize} bytes long (1 byte to 64 MiB allowed)`);
  if (offset === undefined || offset === 0 || offset % clusterSize(header) !== 0)
    throw damaged(`its offset ${hex(ext.directoryOffset)} is not a cluster boundary`);
  if (offset + size > file.size)
    throw damaged(`it lies at ${hex(offset)}..${hex(offset + size)}, past the end of the file`);

  const dir = await file.read(offset, size);
  const wanted = new TextEncoder().encode(name);
  let found: BitmapEntry | undefined;
  let at = 0;
  let count = 0;
  // Every entry is at least 32 bytes and there are at most 65535: the loop ends.
  for (; at < size; count++) {
    if (count >= ext.nbBitmaps)
      throw damaged(`it holds more bitmaps than the ${ext.nbBitmaps} the header counts`);
    if (at + ENTRY_HEADER_BYTES > size) throw damaged(`entry ${count} runs past its end`);
    const extraDataSize = u32be(dir, at + 20);
    const nameSize = u16be(dir, at + 18);
    if (nameSize === 0 || nameSize > MAX_NAME_BYTES)
      throw damaged(`entry ${count} has a name of ${nameSize} bytes (1 to ${MAX_NAME_BYTES})`);
    const nameAt = at + ENTRY_HEADER_BYTES + extraDataSize;
    const next = Math.ceil((nameAt + nameSize) / 8) * 8;
    if (next > size) throw damaged(`entry ${count} runs past its end`);
    const entryName = dir.subarray(nameAt, nameAt + nameSize);
    if (Buffer.from(entryName).equals(wanted)) {
      if (found) throw damaged(`two bitmaps are named ${name}`);
      found = {
        name,
        tableOffset: u64beBig(dir, at),
        tableSize: u32be(dir, at + 8),
        flags: u32be(dir, at + 12),
        type: dir[at + 16]!,
        granularityBits: dir[at + 17]!,
        extraDataSize,
      };
    }
    at = next;
  }
  if (count !== ext.nbBitmaps)
    throw damaged(`it holds ${count} bitmaps, the header counts ${ext.nbBitmaps}`);
  if (!found) throw new Unusable(`the image has no bitmap named ${name}`);
  return found;
}

/** Checks what the entry says about itself; returns the granularity in bytes. */
function checkEntry(entry: BitmapEntry, header: Qcow2Header, fileSize: number): number {
  const name = entry.name;
  if (entry.flags & ~KNOWN_FLAGS)
    throw new Unusable(`bitmap ${name} has flags Hyperkeep does not know (${hex(entry.flags)})`);
  if (entry.type !== TYPE_DIRTY_TRACKING)
    throw new Unusable(`bitmap ${name} is of type ${entry.type}, not a dirty-tracking bitmap`);
  const bits = entry.granularityBits;
  if (bits < MIN_GRANULARITY_BITS || bits > MAX_GRANULARITY_BITS)
    throw new Unusable(`bitmap ${name} has a granularity of 2^${bits} bytes, outside 512 B..2 GiB`);
  if (entry.flags & FLAG_IN_USE) {
    throw new Unusable(
      `bitmap ${name} is marked in use (QEMU did not close the image cleanly, or it is open now)`,
    );
  }
  if (!(entry.flags & FLAG_AUTO))
    throw new Unusable(`bitmap ${name} is disabled: it stopped recording the guest's writes`);
  if (entry.extraDataSize !== 0 && !(entry.flags & FLAG_EXTRA_DATA_COMPATIBLE))
    throw new Unusable(`bitmap ${name} carries extra data Hyperkeep does not understand`);

  const damaged = (detail: string): Unusable =>
    new Unusable(`bitmap ${name} is damaged: ${detail}`);
  const cs = clusterSize(header);
  const granularity = 2 ** bits;
  const bitmapBytes = Math.ceil(Math.ceil(header.virtualSize / granularity) / 8);
  const needed = Math.ceil(bitmapBytes / cs);
  if (entry.tableSize !== needed) {
    throw damaged(
      `its table has ${entry.tableSize} entries where a ${header.virtualSize}-byte disk at ` +
        `${granularity}-byte granularity needs ${needed}`,
    );
  }
  if (needed * cs > MAX_BITMAP_BYTES)
    throw damaged(`its ${needed * cs} bytes of bitmap exceed the 512 MiB QEMU allows`);
  const offset = safeNumber(entry.tableOffset);
  if (offset === undefined || offset === 0 || offset % cs !== 0)
    throw damaged(`its table offset ${hex(entry.tableOffset)} is not a cluster boundary`);
  if (offset + needed * 8 > fileSize)
    throw damaged(`its table at ${hex(offset)} runs past the end of the file`);
  return granularity;
}

/** What a table entry says about its cluster of bitmap data. */
type TableEntry = { kind: 'zeros' } | { kind: 'ones' } | { kind: 'data'; offset: number };

/** The whole bitmap table in one read, every entry checked before any data is read. */
async function readTable(
  file: RawImage,
  header: Qcow2Header,
  entry: BitmapEntry,
): Promise<TableEntry[]> {
  const raw = await file.read(Number(entry.tableOffset), entry.tableSize * 8);
  const cs = clusterSize(header);
  const table: TableEntry[] = [];
  for (let i = 0; i < entry.tableSize; i++) {
    const value = u64beBig(raw, i * 8);
    const where = `bitmap ${entry.name} is damaged: table entry ${i} (${hex(value)})`;
    if (value & TABLE_RESERVED_MASK) throw new Unusable(`${where} has reserved bits set`);
    const offset = Number(value & TABLE_OFFSET_MASK); // at most 2^56: exact after the checks below
    if (offset === 0) {
      table.push({ kind: value & TABLE_ALL_ONES ? 'ones' : 'zeros' });
      continue;
    }
    if (value & TABLE_ALL_ONES) throw new Unusable(`${where} has bit 0 set beside an offset`);
    if (offset % cs !== 0) throw new Unusable(`${where} points to an unaligned cluster`);
    if (offset + cs > file.size) throw new Unusable(`${where} points past the end of the file`);
    table.push({ kind: 'data', offset });
  }
  return table;
}

/** Reads the data clusters (neighbours in the file together) and turns set bits into ranges. */
async function dirtyRanges(
  file: RawImage,
  header: Qcow2Header,
  table: readonly TableEntry[],
  granularity: number,
): Promise<{ offset: number; length: number }[]> {
  const cs = clusterSize(header);
  const bitsPerCluster = cs * 8;
  const ranges = new ChangedRanges(header.virtualSize, granularity);
  for (let i = 0; i < table.length;) {
    const entry = table[i]!;
    if (entry.kind !== 'data') {
      if (entry.kind === 'ones')
        ranges.add(i * bitsPerCluster * granularity, bitsPerCluster * granularity);
      i++;
      continue;
    }
    let count = 1;
    while (count * cs < MAX_READ_BYTES && i + count < table.length) {
      const next = table[i + count]!;
      if (next.kind !== 'data' || next.offset !== entry.offset + count * cs) break;
      count++;
    }
    const bytes = await file.read(entry.offset, count * cs);
    addSetBits(bytes, i * bitsPerCluster, granularity, ranges);
    i += count;
  }
  return ranges.ranges;
}

/**
 * Bit n of the bitmap is bit (n % 8) of byte (n / 8), least significant first, and stands for
 * guest bytes [n * granularity, (n + 1) * granularity).
 */
function addSetBits(
  bytes: Uint8Array,
  firstBit: number,
  granularity: number,
  ranges: ChangedRanges,
): void {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0) continue;
    const bit = firstBit + i * 8;
    if (byte === 0xff) {
      ranges.add(bit * granularity, 8 * granularity);
      continue;
    }
    for (let b = 0; b < 8; b++) {
      if (byte & (1 << b)) ranges.add((bit + b) * granularity, granularity);
    }
  }
}

/** Ranges added in ascending order, merged as they come, clipped to the disk, bounded in number. */
export class ChangedRanges {
  readonly ranges: { offset: number; length: number }[] = [];
  /** Ranges this close are joined; grows when there are too many fragments. */
  private joinGap = 0;

  constructor(
    private readonly size: number,
    private readonly granularity: number,
    private readonly maxRanges = MAX_RANGES,
  ) {}

  add(offset: number, length: number): void {
    if (offset >= this.size) return;
    const end = Math.min(this.size, offset + length);
    const last = this.ranges[this.ranges.length - 1];
    if (last && offset - (last.offset + last.length) <= this.joinGap) {
      last.length = Math.max(last.length, end - last.offset);
      return;
    }
    this.ranges.push({ offset, length: end - offset });
    if (this.ranges.length > this.maxRanges) this.join();
  }

  /**
   * Joins ranges at most a doubling gap apart until half the budget is left. Reading a
   * few unchanged granules again keeps the backup exact; once the gap passes the disk size a
   * single range is left, so this ends.
   */
  private join(): void {
    while (this.ranges.length > this.maxRanges / 2) {
      this.joinGap = Math.max(this.granularity, this.joinGap * 2);
      let kept = 0;
      for (const range of this.ranges) {
        const last = kept > 0 ? this.ranges[kept - 1]! : undefined;
        if (last && range.offset - (last.offset + last.length) <= this.joinGap) {
          last.length = range.offset + range.length - last.offset;
        } else {
          this.ranges[kept++] = range;
        }
      }
      this.ranges.length = kept;
    }
  }
}

import { hex, safeNumber, u32be } from '../binary';
import { decompress } from '../decompress';
import { LruCache, cachedLoad } from '../lru-cache';
import { MappedImage, type CompressedBlock, type Run } from '../mapped-image';
import { openImageFile } from '../open-file';
import type { RawImage } from '../raw/raw-image';
import { changedSince, type ChangedSince } from './qcow2-bitmaps';
import { readQcow2Header, type Qcow2Header } from './qcow2-header';

/**
 * Memory for cached L2 tables per image: with 64 KiB clusters, 256 tables mapping 128 GiB of disk
 * (every image of a backing chain has its own cache).
 */
const L2_CACHE_BYTES = 16 * 1024 * 1024;
const MIN_L2_CACHE_ENTRIES = 4;

// What one L2 entry (or subcluster) says; a non-negative value is the host offset of the data.
const BACKING = -1;
const ZERO = -2;
const COMPRESSED = -3;

const SUBCLUSTERS = 32;

export type { ChangedSince } from './qcow2-bitmaps';

/**
 * A qcow2 image (versions 2 and 3) read through its L1/L2 tables: plain, zero, compressed (zlib or
 * zstd) and unallocated clusters, and subclusters of extended L2 entries. Unallocated ranges read
 * from the backing image that open-image attaches, or as zeros.
 */
export class Qcow2Image extends MappedImage {
  readonly format = 'qcow2';
  private readonly clusterSize: number;
  private readonly l2Entries: number;
  private readonly entryBytes: number;
  private readonly l2Cache: LruCache<number, Promise<Uint8Array>>;

  private constructor(
    private readonly file: RawImage,
    private readonly header: Qcow2Header,
    /** Host offsets of the L2 tables, 0 where none is allocated. */
    private readonly l1: Float64Array,
  ) {
    super(file.path, header.virtualSize, 'qcow2 image', [file]);
    this.clusterSize = 2 ** header.clusterBits;
    this.entryBytes = header.extendedL2 ? 16 : 8;
    this.l2Entries = this.clusterSize / this.entryBytes;
    this.l2Cache = new LruCache(
      Math.max(MIN_L2_CACHE_ENTRIES, Math.floor(L2_CACHE_BYTES / this.clusterSize)),
    );
    if (header.backingFile !== undefined) {
      this.parent = { candidates: [header.backingFile], format: header.backingFormat };
    }
  }

  static async open(path: string): Promise<Qcow2Image> {
    return openImageFile(path, (file) => Qcow2Image.fromFile(file));
  }

  /** Decodes an already opened file (local or streamed); the image owns and closes it. */
  static async fromFile(file: RawImage): Promise<Qcow2Image> {
    const header = await readQcow2Header(file);
    const raw = await file.read(header.l1TableOffset, header.l1Size * 8);
    const l1 = new Float64Array(header.l1Size);
    for (let i = 0; i < header.l1Size; i++)
      l1[i] = entryOffset(u32be(raw, i * 8), u32be(raw, i * 8 + 4));
    return new Qcow2Image(file, header, l1);
  }

  get version(): 2 | 3 {
    return this.header.version;
  }

  /**
   * Where the guest wrote since persistent bitmap `bitmapName` (a libvirt checkpoint's name)
   * began tracking, or why that cannot be known. Reads through the same file as the image data,
   * so it works as well on a volume streamed by libvirt.
   */
  changedSince(bitmapName: string): Promise<ChangedSince> {
    return changedSince(this.file, this.header, bitmapName);
  }

  protected async mapRun(offset: number, maxLength: number): Promise<Run> {
    const cs = this.clusterSize;
    const cluster = Math.floor(offset / cs);
    const l1Index = Math.floor(cluster / this.l2Entries);
    const tableEnd = Math.min((l1Index + 1) * this.l2Entries * cs, this.size);
    const limit = Math.min(maxLength, tableEnd - offset);
    const l2Offset = this.l1[l1Index]!;
    if (l2Offset === 0) return { kind: 'backing', length: limit };
    const table = await this.l2Table(l1Index, l2Offset);

    // Units are clusters, or subclusters with extended L2 entries (compressed clusters aside).
    const unit = this.header.extendedL2 ? cs / SUBCLUSTERS : cs;
    let index = cluster % this.l2Entries;
    let sub = Math.floor((offset - cluster * cs) / unit);
    const first = this.classify(table, index, sub);
    if (first === COMPRESSED) {
      const inCluster = offset - cluster * cs;
      const block = this.compressedBlock(table, index, cluster);
      return {
        kind: 'compressed',
        block,
        offsetInBlock: inCluster,
        length: Math.min(limit, cs - inCluster),
      };
    }
    // Extend the run over following units that say the same thing (and, for data, follow on in
    // the file) so a sequential read becomes one pread.
    let length = (Math.floor(offset / unit) + 1) * unit - offset;
    let expected = first >= 0 ? first + unit * (sub + 1) : first;
    while (length < limit) {
      sub++;
      if (sub * unit >= cs) {
        sub = 0;
        index++;
      }
      const next = this.classify(table, index, sub);
      const host = next >= 0 ? next + unit * sub : next;
      if (host !== expected) break;
      length += unit;
      if (expected >= 0) expected += unit;
    }
    length = Math.min(length, limit);
    const inUnit = offset % unit;
    if (first >= 0) {
      const fileOffset = first + unit * Math.floor((offset - cluster * cs) / unit) + inUnit;
      return { kind: 'data', file: this.file, fileOffset, length };
    }
    return { kind: first === ZERO ? 'zero' : 'backing', length };
  }

  /**
   * What L2 entry `index` says about subcluster `sub` (0 without extended L2): BACKING, ZERO,
   * COMPRESSED, or the host offset of the cluster (add the subcluster's place in it yourself).
   */
  private classify(table: Uint8Array, index: number, sub: number): number {
    const at = index * this.entryBytes;
    const hi = u32be(table, at);
    const lo = u32be(table, at + 4);
    if (hi & 0x40000000) return COMPRESSED;
    const host = entryOffset(hi, lo);
    if (host % this.clusterSize !== 0) {
      throw this.fail(`L2 entry ${index} points to unaligned cluster offset ${hex(host)}`);
    }
    if (this.header.extendedL2) {
      const zeroBits = u32be(table, at + 8);
      const allocBits = u32be(table, at + 12);
      const allocated = (allocBits >>> sub) & 1;
      const zero = (zeroBits >>> sub) & 1;
      if (allocated && zero)
        throw this.fail(`L2 entry ${index}: subcluster ${sub} both allocated and zero`);
      if (zero) return ZERO;
      if (!allocated) return BACKING;
      if (host === 0)
        throw this.fail(`L2 entry ${index}: allocated subcluster without a host cluster`);
      return host;
    }
    if (this.header.version === 3 && lo & 1) return ZERO;
    return host === 0 ? BACKING : host;
  }

  private l2Table(l1Index: number, l2Offset: number): Promise<Uint8Array> {
    return cachedLoad(this.l2Cache, l2Offset, async () => {
      const cs = this.clusterSize;
      if (l2Offset % cs !== 0)
        throw this.fail(`L1 entry ${l1Index}: L2 table offset ${hex(l2Offset)} unaligned`);
      if (l2Offset + cs > this.file.size) {
        throw this.fail(`L1 entry ${l1Index}: L2 table offset ${hex(l2Offset)} beyond end of file`);
      }
      return this.file.read(l2Offset, cs);
    });
  }

  private compressedBlock(table: Uint8Array, index: number, cluster: number): CompressedBlock {
    const at = index * this.entryBytes;
    const entry = (BigInt(u32be(table, at)) << 32n) | BigInt(u32be(table, at + 4));
    const bits = this.header.clusterBits;
    const shift = BigInt(62 - (bits - 8));
    const stored = entry & ((1n << shift) - 1n);
    const hostOffset = safeNumber(stored);
    if (hostOffset === undefined) {
      throw this.fail(
        `L2 entry ${index}: compressed cluster offset ${hex(stored)} beyond end of file`,
      );
    }
    const sectors = Number((entry >> shift) & ((1n << BigInt(bits - 8)) - 1n)) + 1;
    const storedSize = sectors * 512 - (hostOffset % 512);
    return {
      key: `qcow2:${hostOffset}`,
      decode: async () => {
        const where = `compressed cluster ${cluster} at ${hex(hostOffset)}`;
        if (hostOffset >= this.file.size) throw this.fail(`${where} beyond end of file`);
        // The last compressed cluster's sector rounding may reach past the end of the file.
        const stored = await this.file.read(
          hostOffset,
          Math.min(storedSize, this.file.size - hostOffset),
        );
        const codec = this.header.compressionType === 'zstd' ? 'zstd' : 'deflate-raw';
        let out: Uint8Array;
        try {
          out = await decompress(codec, stored, this.clusterSize);
        } catch (err) {
          throw this.fail(`${where} does not decompress (${codec}): ${(err as Error).message}`);
        }
        if (out.length !== this.clusterSize) {
          throw this.fail(
            `${where} decompresses to ${out.length} bytes instead of ${this.clusterSize}`,
          );
        }
        return out;
      },
    };
  }
}

/** Bits 9..55 of an L1/L2 entry: a cluster offset that always fits a JavaScript number. */
function entryOffset(hi: number, lo: number): number {
  return (hi & 0x00ffffff) * 0x1_0000_0000 + ((lo & 0xfffffe00) >>> 0);
}

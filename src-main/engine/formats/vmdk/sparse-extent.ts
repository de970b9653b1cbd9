import { hex, invalidImage, safeNumber, u32le, u64leBig } from '../binary';
import { decompress } from '../decompress';
import { LruCache, cachedLoad } from '../lru-cache';
import type { Run } from '../mapped-image';
import type { RawImage } from '../raw/raw-image';

/**
 * A hosted sparse extent (VMware "Virtual Disk Format 1.1", section "Hosted Sparse Extents"):
 * a grain directory of grain tables of grain offsets, used by monolithicSparse,
 * twoGbMaxExtentSparse and, with compressed grains and markers, streamOptimized VMDKs.
 */
export const VMDK_SPARSE_MAGIC = 0x564d444b; // "KDMV"

const FLAG_ZERO_GRAIN = 1 << 2;
const FLAG_COMPRESSED = 1 << 16;
const FLAG_MARKERS = 1 << 17;
const GD_AT_END = 0xffffffffffffffffn;
const MARKER_EOS = 0;
const MARKER_FOOTER = 3;
const SECTOR = 512;
/** Grains above 1 MiB do not occur in practice; capping keeps a decoded grain small. */
const MAX_GRAIN_SECTORS = 2048;
const MAX_GTES_PER_GT = 4096;
const MAX_GD_BYTES = 64 * 1024 * 1024;
const GT_CACHE_ENTRIES = 1024;

export interface SparseExtentHeader {
  capacitySectors: number;
  grainSectors: number;
  descriptorOffsetSectors: number;
  descriptorSectors: number;
  gtesPerGt: number;
  flags: number;
  gdOffsetSectors: number;
  rgdOffsetSectors: number;
}

/** Reads the header of a sparse extent, following a streamOptimized image to its footer. */
export async function readSparseHeader(file: RawImage): Promise<SparseExtentHeader> {
  const fail = (d: string): Error => invalidImage('vmdk extent', file.path, d);
  if (file.size < SECTOR) throw fail('file too short for a sparse extent header');
  let h = await file.read(0, SECTOR);
  if (u32le(h, 0) !== VMDK_SPARSE_MAGIC) throw fail('no sparse extent magic "KDMV"');
  const version = u32le(h, 4);
  if (version < 1 || version > 3) throw fail(`unsupported sparse extent version ${version}`);
  if (u64leBig(h, 56) === GD_AT_END) {
    // streamOptimized: the grain directory is written last and the footer (a copy of the header
    // with the real offsets) sits between a footer marker and the end-of-stream marker.
    if (file.size < 3 * SECTOR) throw fail('streamOptimized extent too short for its footer');
    const tail = await file.read(file.size - 3 * SECTOR, 3 * SECTOR);
    const footerType = u32le(tail, 12);
    const eosType = u32le(tail, 2 * SECTOR + 12);
    const eosValue = u64leBig(tail, 2 * SECTOR);
    if (footerType !== MARKER_FOOTER || eosType !== MARKER_EOS || eosValue !== 0n) {
      throw fail('streamOptimized footer or end-of-stream marker missing (the file is truncated?)');
    }
    h = tail.subarray(SECTOR, 2 * SECTOR);
    if (u32le(h, 0) !== VMDK_SPARSE_MAGIC) throw fail('streamOptimized footer has no "KDMV" magic');
  }
  const field = (at: number, name: string): number => {
    const v = safeNumber(u64leBig(h, at));
    if (v === undefined || !Number.isSafeInteger(v * SECTOR)) throw fail(`${name} out of range`);
    return v;
  };
  const header: SparseExtentHeader = {
    flags: u32le(h, 8),
    capacitySectors: field(12, 'capacity'),
    grainSectors: field(20, 'grain size'),
    descriptorOffsetSectors: field(28, 'descriptor offset'),
    descriptorSectors: field(36, 'descriptor size'),
    gtesPerGt: u32le(h, 44),
    rgdOffsetSectors: field(48, 'redundant grain directory offset'),
    gdOffsetSectors: field(56, 'grain directory offset'),
  };
  const g = header.grainSectors;
  if (g < 1 || g > MAX_GRAIN_SECTORS || (g & (g - 1)) !== 0) {
    throw fail(`grain size of ${g} sectors is not a power of two up to ${MAX_GRAIN_SECTORS}`);
  }
  if (header.gtesPerGt < 1 || header.gtesPerGt > MAX_GTES_PER_GT) {
    throw fail(`${header.gtesPerGt} entries per grain table outside 1..${MAX_GTES_PER_GT}`);
  }
  return header;
}

/** Maps virtual bytes of one sparse extent to runs; grains are addressed in sectors. */
export class SparseExtent {
  private readonly grainBytes: number;
  private readonly gtCoverage: number;
  private readonly gtCache = new LruCache<number, Promise<Uint8Array>>(GT_CACHE_ENTRIES);
  private readonly compressed: boolean;
  private readonly markers: boolean;

  private constructor(
    private readonly file: RawImage,
    private readonly header: SparseExtentHeader,
    /** Sector offsets of grain tables, 0 where none. */
    private readonly gd: Uint32Array,
  ) {
    this.grainBytes = header.grainSectors * SECTOR;
    this.gtCoverage = this.grainBytes * header.gtesPerGt;
    this.compressed = (header.flags & FLAG_COMPRESSED) !== 0;
    this.markers = (header.flags & FLAG_MARKERS) !== 0;
  }

  static async open(
    file: RawImage,
    header: SparseExtentHeader,
    extentBytes: number,
  ): Promise<SparseExtent> {
    const fail = (d: string): Error => invalidImage('vmdk extent', file.path, d);
    const capacity = Math.max(extentBytes, header.capacitySectors * SECTOR);
    const entries = Math.ceil(capacity / (header.grainSectors * SECTOR * header.gtesPerGt));
    const bytes = entries * 4;
    if (bytes > MAX_GD_BYTES) throw fail(`grain directory of ${entries} entries is too large`);
    const fits = (sector: number): boolean => sector > 0 && sector * SECTOR + bytes <= file.size;
    // The redundant directory is a copy kept for exactly this case: a damaged primary pointer.
    let gdSector = header.gdOffsetSectors;
    if (!fits(gdSector)) gdSector = header.rgdOffsetSectors;
    if (!fits(gdSector)) {
      throw fail(
        `grain directory offset ${hex(header.gdOffsetSectors * SECTOR)} beyond end of file`,
      );
    }
    const raw = await file.read(gdSector * SECTOR, bytes);
    const gd = new Uint32Array(entries);
    for (let i = 0; i < entries; i++) gd[i] = u32le(raw, i * 4);
    return new SparseExtent(file, header, gd);
  }

  private fail(detail: string): Error {
    return invalidImage('vmdk extent', this.file.path, detail);
  }

  async mapRun(offset: number, maxLength: number): Promise<Run> {
    const gdIndex = Math.floor(offset / this.gtCoverage);
    const limit = Math.min(maxLength, (gdIndex + 1) * this.gtCoverage - offset);
    const gtSector = this.gd[gdIndex];
    if (gtSector === undefined) throw this.fail(`offset ${offset} beyond the grain directory`);
    if (gtSector === 0) return { kind: 'backing', length: limit };
    const gt = await this.grainTable(gdIndex, gtSector);
    const grainBytes = this.grainBytes;
    let index = Math.floor((offset % this.gtCoverage) / grainBytes);
    const inGrain = offset % grainBytes;
    const first = u32le(gt, index * 4);
    const zeroGrain = (this.header.flags & FLAG_ZERO_GRAIN) !== 0;
    const kindOf = (entry: number): 'backing' | 'zero' | 'data' =>
      entry === 0 ? 'backing' : entry === 1 && zeroGrain ? 'zero' : 'data';
    const kind = kindOf(first);
    if (kind === 'data' && this.compressed) {
      const length = Math.min(limit, grainBytes - inGrain);
      return {
        kind: 'compressed',
        length,
        offsetInBlock: inGrain,
        block: this.grainBlock(first, offset - inGrain),
      };
    }
    let length = grainBytes - inGrain;
    let expected = first + this.header.grainSectors;
    while (length < limit) {
      index++;
      const next = u32le(gt, index * 4);
      if (kind === 'data' ? next !== expected : kindOf(next) !== kind) break;
      length += grainBytes;
      expected += this.header.grainSectors;
    }
    length = Math.min(length, limit);
    if (kind !== 'data') return { kind, length };
    return { kind: 'data', file: this.file, fileOffset: first * SECTOR + inGrain, length };
  }

  private grainTable(gdIndex: number, sector: number): Promise<Uint8Array> {
    return cachedLoad(this.gtCache, sector, async () => {
      const bytes = this.header.gtesPerGt * 4;
      if (sector * SECTOR + bytes > this.file.size) {
        throw this.fail(
          `grain directory entry ${gdIndex}: grain table at ${hex(sector * SECTOR)} beyond end of file`,
        );
      }
      return this.file.read(sector * SECTOR, bytes);
    });
  }

  private grainBlock(
    sector: number,
    virtualOffset: number,
  ): { key: string; decode: () => Promise<Uint8Array> } {
    return {
      key: `${this.file.path}:${sector}`,
      decode: async () => {
        const where = `compressed grain at ${hex(sector * SECTOR)}`;
        const at = sector * SECTOR;
        if (at >= this.file.size) throw this.fail(`${where} beyond end of file`);
        let data: Uint8Array;
        if (this.markers) {
          // A grain marker: the grain's LBA (u64), the compressed size (u32), then the stream.
          if (at + 12 > this.file.size) throw this.fail(`${where}: marker beyond end of file`);
          const marker = await this.file.read(at, 12);
          const size = u32le(marker, 8);
          if (size === 0 || size > 2 * this.grainBytes + 4096 || at + 12 + size > this.file.size) {
            throw this.fail(`${where}: compressed size ${size} is impossible`);
          }
          const lba = u64leBig(marker, 0);
          if (lba !== BigInt(virtualOffset / SECTOR)) {
            throw this.fail(`${where} is marked for sector ${lba}, not ${virtualOffset / SECTOR}`);
          }
          data = await this.file.read(at + 12, size);
        } else {
          data = await this.file.read(at, Math.min(2 * this.grainBytes, this.file.size - at));
        }
        let out: Uint8Array;
        try {
          out = await decompress('zlib', data, this.grainBytes);
        } catch (err) {
          throw this.fail(`${where} does not decompress: ${(err as Error).message}`);
        }
        if (out.length === this.grainBytes) return out;
        // The last grain of an extent may be stored short; the rest of it reads as zeros.
        const padded = new Uint8Array(this.grainBytes);
        padded.set(out);
        return padded;
      },
    };
  }
}

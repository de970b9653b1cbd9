import { promisify } from 'node:util';
import { constants, deflate } from 'node:zlib';
import { HyperkeepError } from '../../../../shared/errors';
import {
  SECTOR,
  SequentialImageWriter,
  WRITE_ALIGNMENT,
  isZeroPiece,
  roundUp,
} from './image-writer';
import type { PartialFile } from './partial-file';
import {
  DESCRIPTOR_OFFSET,
  DESCRIPTOR_SECTORS,
  FLAG_COMPRESSED,
  FLAG_MARKERS,
  FLAG_VALID_NEWLINE_TEST,
  GD_AT_END,
  GRAIN_SECTORS,
  GTES_PER_GT,
  GT_COVERAGE,
  GT_SECTORS,
  MAX_FILE_SECTORS,
  checkVmdkSize,
  descriptor,
  sparseHeader,
} from './vmdk-layout';

/*
 * A streamOptimized VMDK, the form OVF/OVA packages carry and vSphere's "deploy OVF" and
 * datastore imports take, written front to back as the VMware specification lays it out:
 *
 *   sector 0        header (grain directory offset "at end")
 *   sectors 1..20   descriptor
 *   then            for each 32 MiB range with data: its grains, each a marker (LBA, size) and
 *                   the zlib-compressed grain padded to a sector, then a grain table marker
 *                   and the grain table
 *   end             grain directory marker and directory, footer marker and footer (the header
 *                   with the real directory offset), end-of-stream marker
 *
 * Ranges without data get no grain table (directory entry 0: reads as zeros).
 */

const deflateAsync = promisify(deflate);
/** Speed over ratio: restores should run at disk speed; level 1 still shrinks file systems well. */
const DEFLATE_OPTIONS = { level: constants.Z_BEST_SPEED };
const COMPRESS_DEFLATE = 1;
const GRAIN_MARKER_BYTES = 12;
const MARKER_EOS = 0;
const MARKER_GRAIN_TABLE = 1;
const MARKER_GRAIN_DIRECTORY = 2;
const MARKER_FOOTER = 3;

export class VmdkStreamWriter extends SequentialImageWriter {
  private readonly capacitySectors: number;
  /** Sector of each grain table (0: none), for the directory written at the end. */
  private readonly directory: Uint32Array;
  private readonly gdSectors: number;
  /** Next free sector. */
  private nextSector = roundUp(DESCRIPTOR_OFFSET + DESCRIPTOR_SECTORS, GRAIN_SECTORS);
  private current: { index: number; table: Buffer } | undefined;

  private constructor(file: PartialFile, sizeBytes: number, virtualSize: number) {
    super(file, sizeBytes);
    this.capacitySectors = virtualSize / SECTOR;
    this.directory = new Uint32Array(Math.ceil(virtualSize / GT_COVERAGE));
    this.gdSectors = Math.ceil((this.directory.length * 4) / SECTOR);
  }

  static checkSize(virtualSize: number): void {
    checkVmdkSize(virtualSize);
  }

  static create(file: PartialFile, sizeBytes: number, virtualSize: number): VmdkStreamWriter {
    return new VmdkStreamWriter(file, sizeBytes, virtualSize);
  }

  protected async writeData(offset: number, data: Uint8Array): Promise<void> {
    // Compress the call's grains side by side on libuv's thread pool, then append them in order.
    const grains: { offset: number; compressed: Promise<Buffer> }[] = [];
    for (let at = 0; at < data.length; at += WRITE_ALIGNMENT) {
      const piece = data.subarray(at, Math.min(data.length, at + WRITE_ALIGNMENT));
      if (!isZeroPiece(piece))
        grains.push({ offset: offset + at, compressed: deflateAsync(piece, DEFLATE_OPTIONS) });
    }
    // Settle every compression before the first await can throw (no unhandled rejections).
    const results = await Promise.allSettled(grains.map((g) => g.compressed));
    for (const [i, grain] of grains.entries()) {
      const result = results[i]!;
      if (result.status === 'rejected') throw result.reason;
      await this.appendGrain(grain.offset, result.value);
    }
  }

  private async appendGrain(offset: number, compressed: Buffer): Promise<void> {
    const grain = offset / WRITE_ALIGNMENT;
    const index = Math.floor(grain / GTES_PER_GT);
    if (this.current?.index !== index) {
      await this.writeCurrentTable();
      this.current = { index, table: Buffer.alloc(GTES_PER_GT * 4) };
    }
    const bytes = Buffer.alloc(roundUp(GRAIN_MARKER_BYTES + compressed.length, SECTOR));
    bytes.writeBigUInt64LE(BigInt(offset / SECTOR), 0);
    bytes.writeUInt32LE(compressed.length, 8);
    compressed.copy(bytes, GRAIN_MARKER_BYTES);
    const sector = this.allocate(bytes.length / SECTOR);
    this.current.table.writeUInt32LE(sector, (grain % GTES_PER_GT) * 4);
    await this.file.write(sector * SECTOR, bytes);
  }

  private allocate(sectors: number): number {
    const sector = this.nextSector;
    if (sector + sectors > MAX_FILE_SECTORS) {
      throw new HyperkeepError('INVALID_INPUT', `${this.file.path}: the VMDK grew past 2 TiB`);
    }
    this.nextSector += sectors;
    return sector;
  }

  private async writeMarker(type: number, sectors: number): Promise<void> {
    const marker = Buffer.alloc(SECTOR);
    marker.writeBigUInt64LE(BigInt(sectors), 0);
    marker.writeUInt32LE(type, 12);
    await this.file.write(this.allocate(1) * SECTOR, marker);
  }

  private async writeCurrentTable(): Promise<void> {
    if (this.current === undefined) return;
    await this.writeMarker(MARKER_GRAIN_TABLE, GT_SECTORS);
    const sector = this.allocate(GT_SECTORS);
    this.directory[this.current.index] = sector;
    await this.file.write(sector * SECTOR, this.current.table);
    this.current = undefined;
  }

  protected async finalize(): Promise<void> {
    await this.writeCurrentTable();
    await this.file.write(0, this.header(GD_AT_END));
    await this.file.write(
      DESCRIPTOR_OFFSET * SECTOR,
      descriptor(this.file.path, 'streamOptimized', this.capacitySectors),
    );
    await this.writeMarker(MARKER_GRAIN_DIRECTORY, this.gdSectors);
    const gdSector = this.allocate(this.gdSectors);
    const gd = Buffer.alloc(this.gdSectors * SECTOR);
    for (let i = 0; i < this.directory.length; i++) gd.writeUInt32LE(this.directory[i]!, i * 4);
    await this.file.write(gdSector * SECTOR, gd);
    await this.writeMarker(MARKER_FOOTER, 1);
    await this.file.write(this.allocate(1) * SECTOR, this.header(BigInt(gdSector)));
    await this.writeMarker(MARKER_EOS, 0);
    await this.file.truncate(this.nextSector * SECTOR);
  }

  private header(gdOffset: bigint): Buffer {
    return sparseHeader({
      // Version 3 is what ESXi expects of streamOptimized extents.
      version: 3,
      flags: FLAG_VALID_NEWLINE_TEST | FLAG_COMPRESSED | FLAG_MARKERS,
      capacitySectors: this.capacitySectors,
      rgdOffset: 0,
      gdOffset,
      grainOffset: roundUp(DESCRIPTOR_OFFSET + DESCRIPTOR_SECTORS, GRAIN_SECTORS),
      compressAlgorithm: COMPRESS_DEFLATE,
    });
  }
}

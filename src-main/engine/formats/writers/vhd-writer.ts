import { randomBytes } from 'node:crypto';
import { HyperkeepError } from '../../../../shared/errors';
import { vhdChecksum } from '../vhd/vhd-structures';
import { SECTOR, PlacedImageWriter, roundUp } from './image-writer';
import type { PartialFile } from './partial-file';

/*
 * A dynamic VHD (Microsoft "Virtual Hard Disk Image Format Specification"; "vpc" in qemu):
 *
 *   0        copy of the footer
 *   512      dynamic disk header
 *   1536     block allocation table (one big-endian sector number per 2 MiB block)
 *   then     blocks in write order, each a 512-byte sector bitmap then 2 MiB of data, placed
 *            so the data starts on a 4 KiB boundary (a bitmap sits just before it)
 *   end      footer
 *
 * The bitmap of the block being filled is kept in memory and written when the next block starts;
 * a set bit marks a sector that was written, a clear one reads as zeros.
 *
 * Size: qemu takes a VHD's size from its CHS geometry (a multiple of a cylinder, so usually not
 * the disk's size) unless the creator is one it knows uses the footer's current size, or the
 * geometry is the maximum 65535/16/255. Like `qemu-img convert -O vpc -o force_size=on` (the
 * route documented for Azure and Hyper-V uploads) the footer says creator "qem2" with the maximum
 * geometry, so qemu, Hyper-V and Windows all see exactly `virtualSize` bytes.
 */

const BLOCK = 2 * 1024 * 1024;
const BITMAP_BYTES = roundUp(BLOCK / SECTOR / 8, SECTOR);
const DATA_ALIGNMENT = 4096;
const HEADER_AT = 512;
const BAT_AT = 1536;
const UNALLOCATED = 0xffffffff;
/** The specification's 2040 GiB limit (qemu's VHD_MAX_SECTORS). */
const MAX_SECTORS = 0xff000000;
/** Seconds from the Unix epoch to the VHD epoch, 2000-01-01T00:00:00Z. */
const VHD_EPOCH = 946684800;
const DISK_TYPE_DYNAMIC = 3;

export class VhdWriter extends PlacedImageWriter {
  private readonly bat: Uint32Array;
  /** End of the last allocated block (where the next one, or the footer, goes). */
  private cursor: number;
  private current: { block: number; bitmapAt: number; bitmap: Buffer } | undefined;

  private constructor(
    file: PartialFile,
    sizeBytes: number,
    private readonly virtualSize: number,
  ) {
    super(file, sizeBytes);
    this.bat = new Uint32Array(Math.ceil(virtualSize / BLOCK)).fill(UNALLOCATED);
    this.cursor = BAT_AT + roundUp(this.bat.length * 4, SECTOR);
  }

  static checkSize(virtualSize: number): void {
    if (virtualSize / SECTOR > MAX_SECTORS) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `A ${virtualSize}-byte disk is larger than a VHD can hold (2040 GiB); restore it as VHDX or qcow2`,
      );
    }
  }

  static create(file: PartialFile, sizeBytes: number, virtualSize: number): VhdWriter {
    return new VhdWriter(file, sizeBytes, virtualSize);
  }

  protected async place(offset: number, length: number): Promise<number> {
    const block = Math.floor(offset / BLOCK);
    if (this.current?.block !== block) {
      await this.writeCurrentBitmap();
      const bitmapAt = roundUp(this.cursor + BITMAP_BYTES, DATA_ALIGNMENT) - BITMAP_BYTES;
      this.bat[block] = bitmapAt / SECTOR;
      this.cursor = bitmapAt + BITMAP_BYTES + BLOCK;
      this.current = { block, bitmapAt, bitmap: Buffer.alloc(BITMAP_BYTES) };
    }
    const inBlock = offset - block * BLOCK;
    markSectors(this.current.bitmap, inBlock / SECTOR, Math.ceil((inBlock + length) / SECTOR));
    return this.current.bitmapAt + BITMAP_BYTES + inBlock;
  }

  private async writeCurrentBitmap(): Promise<void> {
    if (this.current === undefined) return;
    await this.file.write(this.current.bitmapAt, this.current.bitmap);
    this.current = undefined;
  }

  protected async finalize(): Promise<void> {
    await this.writeCurrentBitmap();
    const footer = this.footer();
    await this.file.write(0, footer);
    await this.file.write(HEADER_AT, this.dynamicHeader());
    // Big-endian BAT in slices, so a 2 TiB disk's 4 MiB table is not copied twice.
    const slice = 256 * 1024;
    for (let first = 0; first < this.bat.length; first += slice) {
      const count = Math.min(slice, this.bat.length - first);
      const bytes = Buffer.alloc(
        first + count === this.bat.length ? roundUp(count * 4, SECTOR) : count * 4,
        0xff,
      );
      for (let i = 0; i < count; i++) bytes.writeUInt32BE(this.bat[first + i]!, i * 4);
      await this.file.write(BAT_AT + first * 4, bytes);
    }
    await this.file.write(this.cursor, footer);
    await this.file.truncate(this.cursor + SECTOR);
  }

  private footer(): Buffer {
    const f = Buffer.alloc(SECTOR);
    f.write('conectix', 0, 'latin1');
    f.writeUInt32BE(2, 8); // features: the "reserved" bit the specification says is always set
    f.writeUInt32BE(0x00010000, 12); // file format version 1.0
    f.writeBigUInt64BE(BigInt(HEADER_AT), 16);
    f.writeUInt32BE(Math.max(0, Math.floor(Date.now() / 1000) - VHD_EPOCH), 24);
    f.write('qem2', 28, 'latin1');
    f.writeUInt32BE(0x00050003, 32); // creator version, as qemu writes it with "qem2"
    f.write('Wi2k', 36, 'latin1'); // creator host OS
    f.writeBigUInt64BE(BigInt(this.virtualSize), 40); // original size
    f.writeBigUInt64BE(BigInt(this.virtualSize), 48); // current size
    f.writeUInt16BE(65535, 56);
    f.writeUInt8(16, 58);
    f.writeUInt8(255, 59);
    f.writeUInt32BE(DISK_TYPE_DYNAMIC, 60);
    randomBytes(16).copy(f, 68); // unique id
    f.writeUInt32BE(vhdChecksum(f, 64), 64);
    return f;
  }

  private dynamicHeader(): Buffer {
    const h = Buffer.alloc(1024);
    h.write('cxsparse', 0, 'latin1');
    h.writeBigUInt64BE(0xffffffffffffffffn, 8); // data offset: unused
    h.writeBigUInt64BE(BigInt(BAT_AT), 16);
    h.writeUInt32BE(0x00010000, 24); // header version
    h.writeUInt32BE(this.bat.length, 28); // max table entries
    h.writeUInt32BE(BLOCK, 32);
    h.writeUInt32BE(vhdChecksum(h, 36), 36);
    return h;
  }
}

/** Sets bits [first, end) of a VHD sector bitmap (most significant bit first). */
function markSectors(bitmap: Buffer, first: number, end: number): void {
  const mark = (i: number): void => {
    bitmap[i >> 3] = (bitmap[i >> 3] ?? 0) | (0x80 >> (i & 7));
  };
  let i = first;
  for (; i < end && i % 8 !== 0; i++) mark(i);
  for (; i + 8 <= end; i += 8) bitmap[i >> 3] = 0xff;
  for (; i < end; i++) mark(i);
}

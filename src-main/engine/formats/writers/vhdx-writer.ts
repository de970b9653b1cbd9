import { randomBytes } from 'node:crypto';
import { HyperkeepError } from '../../../../shared/errors';
import { crc32c } from '../binary';
import { FULLY_PRESENT } from '../vhdx/vhdx-image';
import {
  BAT_REGION,
  FILE_PARAMETERS,
  LOGICAL_SECTOR_SIZE,
  METADATA_REGION,
  PAGE_83_DATA,
  PHYSICAL_SECTOR_SIZE,
  VIRTUAL_DISK_SIZE,
} from '../vhdx/vhdx-structures';
import { SECTOR, PlacedImageWriter, roundUp } from './image-writer';
import type { PartialFile } from './partial-file';

/*
 * A dynamic VHDX ([MS-VHDX]), laid out like Hyper-V and qemu-img do:
 *
 *   0 .. 1 MiB      file type identifier, two headers (CRC-32C), two region tables
 *   1 MiB           log (1 MiB, empty: the headers' log GUID is zero, nothing to replay)
 *   2 MiB           metadata region: file parameters, virtual disk size, page 83 id,
 *                   logical (512) and physical (4096) sector size
 *   3 MiB           BAT: payload block entries, with a sector bitmap entry after every
 *                   `chunk ratio` of them (not present: only differencing disks use bitmaps)
 *   then            payload blocks in write order, 1 MiB aligned
 *
 * Blocks are allocated when their first non-zero piece arrives; blocks never written stay
 * NOT_PRESENT, which reads as zeros in a disk without parent. Only each block's file offset
 * (4 bytes) is kept until the BAT is written at the end.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const HEADER_1 = 64 * KiB;
const HEADER_2 = 128 * KiB;
const HEADER_BYTES = 4 * KiB;
const REGION_TABLE_1 = 192 * KiB;
const REGION_TABLE_2 = 256 * KiB;
const REGION_TABLE_BYTES = 64 * KiB;
const LOG_AT = 1 * MiB;
const LOG_BYTES = 1 * MiB;
const METADATA_AT = 2 * MiB;
const METADATA_BYTES = 1 * MiB;
const BAT_AT = 3 * MiB;
/** Metadata items start after the 64 KiB metadata table. */
const ITEMS_AT = 64 * KiB;
const PHYSICAL_SECTOR = 4096;
/** [MS-VHDX] limit. */
const MAX_VIRTUAL_SIZE = 64 * 1024 * 1024 * MiB;
/** Small blocks keep restored images sparse; they grow only to keep the BAT under ~4 MiB. */
const MIN_BLOCK = 2 * MiB;
const MAX_BLOCK = 256 * MiB;
const MAX_BLOCKS = 512 * 1024;
const CREATOR = 'Hyperkeep';

const METADATA_IS_VIRTUAL_DISK = 1 << 1;
const METADATA_IS_REQUIRED = 1 << 2;

export class VhdxWriter extends PlacedImageWriter {
  private readonly blockSize: number;
  private readonly chunkRatio: number;
  /** File offset of each payload block in MiB (0: not present). */
  private readonly blockAtMiB: Uint32Array;
  private readonly batBytes: number;
  /** End of the file's allocated part, 1 MiB aligned. */
  private cursor: number;

  private constructor(
    file: PartialFile,
    sizeBytes: number,
    private readonly virtualSize: number,
  ) {
    super(file, sizeBytes);
    let blockSize = MIN_BLOCK;
    while (blockSize < MAX_BLOCK && Math.ceil(virtualSize / blockSize) > MAX_BLOCKS) blockSize *= 2;
    this.blockSize = blockSize;
    this.chunkRatio = (2 ** 23 * SECTOR) / blockSize;
    const blocks = Math.ceil(virtualSize / blockSize);
    this.blockAtMiB = new Uint32Array(blocks);
    const entries = blocks + Math.floor((blocks - 1) / this.chunkRatio);
    this.batBytes = roundUp(entries * 8, MiB);
    this.cursor = BAT_AT + this.batBytes;
  }

  static checkSize(virtualSize: number): void {
    if (virtualSize > MAX_VIRTUAL_SIZE) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `A ${virtualSize}-byte disk is larger than a VHDX can hold (64 TiB); restore it as qcow2 or raw`,
      );
    }
  }

  static create(file: PartialFile, sizeBytes: number, virtualSize: number): VhdxWriter {
    return new VhdxWriter(file, sizeBytes, virtualSize);
  }

  protected place(offset: number): Promise<number> {
    const block = Math.floor(offset / this.blockSize);
    if (this.blockAtMiB[block] === 0) {
      this.blockAtMiB[block] = this.cursor / MiB;
      this.cursor += this.blockSize;
    }
    return Promise.resolve(this.blockAtMiB[block]! * MiB + (offset - block * this.blockSize));
  }

  protected async finalize(): Promise<void> {
    await this.file.write(0, fileIdentifier());
    const fileWriteGuid = randomBytes(16);
    const dataWriteGuid = randomBytes(16);
    await this.file.write(HEADER_1, header(1n, fileWriteGuid, dataWriteGuid));
    await this.file.write(HEADER_2, header(2n, fileWriteGuid, dataWriteGuid));
    const regions = this.regionTable();
    await this.file.write(REGION_TABLE_1, regions);
    await this.file.write(REGION_TABLE_2, regions);
    await this.file.write(METADATA_AT, this.metadata());
    await this.writeBat();
    // The last block is allocated in full even when the disk ends inside it.
    await this.file.truncate(this.cursor);
  }

  private async writeBat(): Promise<void> {
    // In slices of whole chunks, so the table is never built in one piece.
    const chunksPerSlice = Math.max(1, Math.floor(65536 / (this.chunkRatio + 1)));
    const blocks = this.blockAtMiB.length;
    for (let first = 0; first < blocks; first += chunksPerSlice * this.chunkRatio) {
      const end = Math.min(blocks, first + chunksPerSlice * this.chunkRatio);
      const entryOf = (block: number): number => block + Math.floor(block / this.chunkRatio);
      const base = entryOf(first);
      const bytes = Buffer.alloc((entryOf(end - 1) - base + 1) * 8);
      for (let b = first; b < end; b++) {
        const at = this.blockAtMiB[b]!;
        // Bits 0-2 state, bits 20-63 the offset in MiB; sector bitmap entries stay 0.
        if (at !== 0)
          bytes.writeBigUInt64LE(
            (BigInt(at) << 20n) | BigInt(FULLY_PRESENT),
            (entryOf(b) - base) * 8,
          );
      }
      await this.file.write(BAT_AT + base * 8, bytes);
    }
  }

  private regionTable(): Buffer {
    const t = Buffer.alloc(REGION_TABLE_BYTES);
    t.write('regi', 0, 'latin1');
    t.writeUInt32LE(2, 8); // entry count
    const entry = (i: number, guid: string, offset: number, length: number): void => {
      const e = 16 + i * 32;
      guidBytes(guid).copy(t, e);
      t.writeBigUInt64LE(BigInt(offset), e + 16);
      t.writeUInt32LE(length, e + 24);
      t.writeUInt32LE(1, e + 28); // required
    };
    entry(0, BAT_REGION, BAT_AT, this.batBytes);
    entry(1, METADATA_REGION, METADATA_AT, METADATA_BYTES);
    t.writeUInt32LE(crc32c(t), 4);
    return t;
  }

  private metadata(): Buffer {
    const m = Buffer.alloc(ITEMS_AT + 64);
    m.write('metadata', 0, 'latin1');
    const items: { guid: string; value: Buffer; flags: number }[] = [
      {
        guid: FILE_PARAMETERS,
        value: Buffer.concat([u32(this.blockSize), u32(0)]),
        flags: METADATA_IS_REQUIRED,
      },
      {
        guid: VIRTUAL_DISK_SIZE,
        value: u64(this.virtualSize),
        flags: METADATA_IS_VIRTUAL_DISK | METADATA_IS_REQUIRED,
      },
      {
        // The SCSI page 83 identity guests see: unique per restored disk.
        guid: PAGE_83_DATA,
        value: randomBytes(16),
        flags: METADATA_IS_VIRTUAL_DISK | METADATA_IS_REQUIRED,
      },
      {
        guid: LOGICAL_SECTOR_SIZE,
        value: u32(SECTOR),
        flags: METADATA_IS_VIRTUAL_DISK | METADATA_IS_REQUIRED,
      },
      {
        guid: PHYSICAL_SECTOR_SIZE,
        value: u32(PHYSICAL_SECTOR),
        flags: METADATA_IS_VIRTUAL_DISK | METADATA_IS_REQUIRED,
      },
    ];
    m.writeUInt16LE(items.length, 10);
    let at = ITEMS_AT;
    for (const [i, item] of items.entries()) {
      const e = 32 + i * 32;
      guidBytes(item.guid).copy(m, e);
      m.writeUInt32LE(at, e + 16);
      m.writeUInt32LE(item.value.length, e + 20);
      m.writeUInt32LE(item.flags, e + 24);
      item.value.copy(m, at);
      at += item.value.length;
    }
    return m;
  }
}

function fileIdentifier(): Buffer {
  const b = Buffer.alloc(8 + 512);
  b.write('vhdxfile', 0, 'latin1');
  b.write(CREATOR, 8, 'utf16le');
  return b;
}

function header(sequence: bigint, fileWriteGuid: Buffer, dataWriteGuid: Buffer): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('head', 0, 'latin1');
  h.writeBigUInt64LE(sequence, 8);
  fileWriteGuid.copy(h, 16);
  dataWriteGuid.copy(h, 32);
  // 48: log GUID zero — the log is empty
  h.writeUInt16LE(0, 64); // log version
  h.writeUInt16LE(1, 66); // version
  h.writeUInt32LE(LOG_BYTES, 68);
  h.writeBigUInt64LE(BigInt(LOG_AT), 72);
  h.writeUInt32LE(crc32c(h), 4);
  return h;
}

/** A GUID in the layout of VHDX and GPT: the first three fields little-endian. */
export function guidBytes(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new HyperkeepError('INTERNAL', `bad GUID ${text}`);
  const b = Buffer.from(hex, 'hex');
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

function u32(n: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(n, 0);
  return out;
}

function u64(n: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt(n), 0);
  return out;
}

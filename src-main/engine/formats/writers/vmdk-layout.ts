import { randomInt } from 'node:crypto';
import { basename } from 'node:path';
import { HyperkeepError } from '../../../../shared/errors';
import { VMDK_SPARSE_MAGIC } from '../vmdk/sparse-extent';
import { SECTOR, WRITE_ALIGNMENT } from './image-writer';

/**
 * What the two VMDK writers share (VMware "Virtual Disk Format 1.1", hosted sparse extents):
 * the 512-byte sparse extent header, the embedded descriptor and the size limits. Grains are
 * 64 KiB, one per write piece.
 */

export const GRAIN_SECTORS = WRITE_ALIGNMENT / SECTOR;
/** VMware requires 512 entries per grain table. */
export const GTES_PER_GT = 512;
export const GT_SECTORS = (GTES_PER_GT * 4) / SECTOR;
export const GT_COVERAGE = GTES_PER_GT * WRITE_ALIGNMENT;
export const DESCRIPTOR_OFFSET = 1;
export const DESCRIPTOR_SECTORS = 20;
/** Grain offsets are 32-bit sector numbers: nothing may lie beyond 2 TiB in the file. */
export const MAX_FILE_SECTORS = 0xffffffff;

export const FLAG_VALID_NEWLINE_TEST = 1 << 0;
export const FLAG_REDUNDANT_GRAIN_TABLE = 1 << 1;
export const FLAG_COMPRESSED = 1 << 16;
export const FLAG_MARKERS = 1 << 17;
/** streamOptimized: the grain directory is written last; the footer says where. */
export const GD_AT_END = 0xffffffffffffffffn;

/** ddb.adapterType lsilogic: the geometry VMware gives SCSI disks. */
const HEADS = 255;
const SECTORS_PER_TRACK = 63;

export function checkVmdkSize(virtualSize: number): void {
  // The grains and tables of a full disk must fit below 2^32 sectors.
  if (virtualSize / SECTOR + (virtualSize / GT_COVERAGE) * 3 * GT_SECTORS > MAX_FILE_SECTORS) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `A ${virtualSize}-byte disk is too large for a sparse VMDK (under 2 TiB); ` +
        'restore it as qcow2 or VHDX',
    );
  }
}

export interface SparseHeaderFields {
  version: number;
  flags: number;
  capacitySectors: number;
  rgdOffset: number;
  gdOffset: bigint;
  grainOffset: number;
  /** 0 none, 1 deflate */
  compressAlgorithm: number;
}

export function sparseHeader(f: SparseHeaderFields): Buffer {
  const h = Buffer.alloc(SECTOR);
  h.writeUInt32LE(VMDK_SPARSE_MAGIC, 0);
  h.writeUInt32LE(f.version, 4);
  h.writeUInt32LE(f.flags, 8);
  h.writeBigUInt64LE(BigInt(f.capacitySectors), 12);
  h.writeBigUInt64LE(BigInt(GRAIN_SECTORS), 20);
  h.writeBigUInt64LE(BigInt(DESCRIPTOR_OFFSET), 28);
  h.writeBigUInt64LE(BigInt(DESCRIPTOR_SECTORS), 36);
  h.writeUInt32LE(GTES_PER_GT, 44);
  h.writeBigUInt64LE(BigInt(f.rgdOffset), 48);
  h.writeBigUInt64LE(f.gdOffset, 56);
  h.writeBigUInt64LE(BigInt(f.grainOffset), 64);
  // 72: clean shutdown. 73..76: the newline test bytes that detect FTP text-mode damage.
  h.set([0x0a, 0x20, 0x0d, 0x0a], 73);
  h.writeUInt16LE(f.compressAlgorithm, 77);
  return h;
}

/**
 * The embedded descriptor. The extent is the image file itself under its final name (`path`),
 * not the `.partial` being written.
 */
export function descriptor(
  path: string,
  createType: 'monolithicSparse' | 'streamOptimized',
  capacitySectors: number,
): Buffer {
  const name = basename(path).replace(/["\\]/g, '\\$&');
  const cylinders = Math.ceil(capacitySectors / (HEADS * SECTORS_PER_TRACK));
  const text = [
    '# Disk DescriptorFile',
    'version=1',
    'encoding="UTF-8"',
    `CID=${contentId()}`,
    'parentCID=ffffffff',
    `createType="${createType}"`,
    '',
    '# Extent description',
    `RW ${capacitySectors} SPARSE "${name}"`,
    '',
    '# The Disk Data Base',
    '#DDB',
    '',
    'ddb.virtualHWVersion = "4"',
    `ddb.geometry.cylinders = "${cylinders}"`,
    `ddb.geometry.heads = "${HEADS}"`,
    `ddb.geometry.sectors = "${SECTORS_PER_TRACK}"`,
    'ddb.adapterType = "lsilogic"',
    '',
  ].join('\n');
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > DESCRIPTOR_SECTORS * SECTOR) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `The file name ${basename(path)} is too long for a VMDK descriptor`,
    );
  }
  return bytes;
}

/** A random content ID; ffffffff and fffffffe mean "no parent" and "invalid" to VMware. */
function contentId(): string {
  return randomInt(1, 0xfffffffe).toString(16).padStart(8, '0');
}

import {
  crc32c,
  guidMixedEndian,
  hasSignature,
  hex,
  invalidImage,
  isAllZero,
  safeNumber,
  u16le,
  u32le,
  u64leBig,
  utf16,
} from '../binary';
import type { RawImage } from '../raw/raw-image';

/** The VHDX layout ([MS-VHDX] sections 2.2–2.6) a reader needs, validated. */
export interface VhdxLayout {
  virtualSize: number;
  blockSize: number;
  logicalSectorSize: number;
  hasParent: boolean;
  batOffset: number;
  batLength: number;
  /** Key/value pairs of the parent locator (relative_path, absolute_win32_path, …). */
  parentLocator: Map<string, string>;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const LABEL = 'vhdx image';

export const BAT_REGION = '2DC27766-F623-4200-9D64-115E9BFD4A08';
export const METADATA_REGION = '8B7CA206-4790-4B9A-B8FE-575F050F886E';
export const FILE_PARAMETERS = 'CAA16737-FA36-4D43-B3B6-33F0AA44E76B';
export const VIRTUAL_DISK_SIZE = '2FA54224-CD1B-4876-B211-5DBED83BF4B8';
export const PAGE_83_DATA = 'BECA12AB-B2E6-4523-93EF-C309E000C746';
export const LOGICAL_SECTOR_SIZE = '8141BF1D-A96F-4709-BA47-F233A8FAAB5F';
export const PHYSICAL_SECTOR_SIZE = 'CDA348C7-445D-4471-9CC9-E9885251C556';
const PARENT_LOCATOR = 'A8D35F2D-B30B-454D-ABF7-D3D84834AB0C';
const KNOWN_METADATA = new Set([
  FILE_PARAMETERS,
  VIRTUAL_DISK_SIZE,
  PAGE_83_DATA,
  LOGICAL_SECTOR_SIZE,
  PHYSICAL_SECTOR_SIZE,
  PARENT_LOCATOR,
]);
const MAX_TABLE_ENTRIES = 2047;

export async function readVhdxLayout(file: RawImage): Promise<VhdxLayout> {
  const fail = (d: string): Error => invalidImage(LABEL, file.path, d);
  if (file.size < 1 * MiB) throw fail('file too short for the VHDX header section');
  const first = await file.read(0, 320 * KiB);
  if (!hasSignature(first, 0, 'vhdxfile')) throw fail('no "vhdxfile" signature at offset 0');

  // Two headers; the valid one with the higher sequence number is current.
  let current: Uint8Array | undefined;
  let currentSeq = -1n;
  for (const at of [64 * KiB, 128 * KiB]) {
    const h = first.subarray(at, at + 4 * KiB);
    if (!hasSignature(h, 0, 'head') || !checksumOk(h, 4)) continue;
    const seq = u64leBig(h, 8);
    if (seq > currentSeq) {
      current = h;
      currentSeq = seq;
    }
  }
  if (current === undefined) throw fail('both headers are damaged (signature or checksum)');
  const version = u16le(current, 66);
  if (version !== 1) throw fail(`unsupported VHDX version ${version}`);
  if (!isAllZero(current.subarray(48, 64))) {
    throw fail(
      'its log holds changes that were never written back (the disk was not closed cleanly); ' +
        'open it once in Hyper-V or run `qemu-img check -r all` on it, then retry',
    );
  }

  // Two region tables (copies); the first valid one is used.
  let regions: Map<string, { offset: number; length: number }> | undefined;
  for (const at of [192 * KiB, 256 * KiB]) {
    const t = first.subarray(at, at + 64 * KiB);
    if (!hasSignature(t, 0, 'regi') || !checksumOk(t, 4)) continue;
    const count = u32le(t, 8);
    if (count > MAX_TABLE_ENTRIES) continue;
    regions = new Map();
    for (let i = 0; i < count; i++) {
      const e = 16 + i * 32;
      const guid = guidMixedEndian(t, e);
      const offset = safeNumber(u64leBig(t, e + 16));
      const length = u32le(t, e + 24);
      const required = (u32le(t, e + 28) & 1) !== 0;
      if (required && guid !== BAT_REGION && guid !== METADATA_REGION) {
        throw fail(`requires region ${guid}, which Hyperkeep does not know`);
      }
      if (offset === undefined || offset + length > file.size) {
        throw fail(`region ${guid} at ${hex(u64leBig(t, e + 16))} beyond end of file`);
      }
      regions.set(guid, { offset, length });
    }
    break;
  }
  if (regions === undefined) throw fail('both region tables are damaged (signature or checksum)');
  const bat = regions.get(BAT_REGION);
  const meta = regions.get(METADATA_REGION);
  if (bat === undefined || meta === undefined) throw fail('BAT or metadata region missing');
  if (meta.length < 64 * KiB || meta.length > 64 * MiB)
    throw fail(`metadata region of ${meta.length} bytes`);

  const m = await file.read(meta.offset, meta.length);
  if (!hasSignature(m, 0, 'metadata')) throw fail('no "metadata" table signature');
  const count = u16le(m, 10);
  if (count > MAX_TABLE_ENTRIES) throw fail(`metadata table claims ${count} entries`);
  const items = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const e = 32 + i * 32;
    const guid = guidMixedEndian(m, e);
    const offset = u32le(m, e + 16);
    const length = u32le(m, e + 20);
    const required = (u32le(m, e + 24) & 4) !== 0;
    if (required && !KNOWN_METADATA.has(guid))
      throw fail(`requires metadata item ${guid}, unknown to Hyperkeep`);
    if (offset + length > m.length)
      throw fail(`metadata item ${guid} lies outside the metadata region`);
    items.set(guid, m.subarray(offset, offset + length));
  }
  const item = (guid: string, name: string, minLength: number): Uint8Array => {
    const v = items.get(guid);
    if (v === undefined || v.length < minLength) throw fail(`metadata item "${name}" missing`);
    return v;
  };
  const params = item(FILE_PARAMETERS, 'file parameters', 8);
  const blockSize = u32le(params, 0);
  if (blockSize < MiB || blockSize > 256 * MiB || (blockSize & (blockSize - 1)) !== 0) {
    throw fail(`block size ${blockSize} is not a power of two between 1 and 256 MiB`);
  }
  const hasParent = (u32le(params, 4) & 2) !== 0;
  const virtualSize = safeNumber(u64leBig(item(VIRTUAL_DISK_SIZE, 'virtual disk size', 8), 0));
  if (virtualSize === undefined) throw fail('virtual disk size beyond 2^53 bytes');
  const logicalSectorSize = u32le(item(LOGICAL_SECTOR_SIZE, 'logical sector size', 4), 0);
  if (logicalSectorSize !== 512 && logicalSectorSize !== 4096) {
    throw fail(`logical sector size ${logicalSectorSize} is neither 512 nor 4096`);
  }
  const locator = items.get(PARENT_LOCATOR);
  const parentLocator =
    hasParent && locator ? parseParentLocator(locator, fail) : new Map<string, string>();
  return {
    virtualSize,
    blockSize,
    logicalSectorSize,
    hasParent,
    batOffset: bat.offset,
    batLength: bat.length,
    parentLocator,
  };
}

function checksumOk(b: Uint8Array, at: number): boolean {
  const copy = new Uint8Array(b);
  copy.fill(0, at, at + 4);
  return crc32c(copy) === u32le(b, at);
}

function parseParentLocator(b: Uint8Array, fail: (d: string) => Error): Map<string, string> {
  if (b.length < 20) throw fail('parent locator too short');
  const count = u16le(b, 18);
  if (20 + count * 12 > b.length) throw fail(`parent locator claims ${count} entries`);
  const out = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const e = 20 + i * 12;
    const keyOffset = u32le(b, e);
    const valueOffset = u32le(b, e + 4);
    const keyLength = u16le(b, e + 8);
    const valueLength = u16le(b, e + 10);
    if (keyOffset + keyLength > b.length || valueOffset + valueLength > b.length) {
      throw fail(`parent locator entry ${i} lies outside the locator`);
    }
    out.set(utf16(b, keyOffset, keyLength, true), utf16(b, valueOffset, valueLength, true));
  }
  return out;
}

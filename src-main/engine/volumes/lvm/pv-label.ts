import { crc32 } from 'node:zlib';
import type { RandomAccessReader } from '../../io/random-access';
import {
  ascii,
  hasSignature,
  hex,
  invalidImage,
  safeNumber,
  u32le,
  u64leBig,
} from '../../formats/binary';

/**
 * The LVM2 physical volume label and metadata area header (lib/format_text/layout.h in lvm2):
 * a "LABELONE" sector in the first four, the PV's UUID and where its data and metadata areas are;
 * each metadata area starts with a header pointing at the current VG text in a ring buffer.
 */
export interface PvLabel {
  /** 32 characters, no dashes. */
  pvUuid: string;
  deviceSize: number;
  metadataAreas: { offset: number; size: number }[];
}

const SECTOR = 512;
const MDA_HEADER_SIZE = 512;
const MDA_MAGIC = ' LVM2 x[5A%r0N*>';
const MAX_AREAS = 16;
/** Real VG metadata is kilobytes; a megabyte or more of text is not something to parse. */
const MAX_METADATA_BYTES = 4 * 1024 * 1024;
const INITIAL_CRC = 0xf597a6cf;

/** lvm2's calc_crc: CRC-32 (IEEE) from a fixed seed, with no final inversion. */
export function lvmCrc(b: Uint8Array): number {
  return ~crc32(b, ~INITIAL_CRC >>> 0) >>> 0;
}

export async function readPvLabel(
  pv: RandomAccessReader,
  name: string,
): Promise<PvLabel | undefined> {
  if (pv.size < 4 * SECTOR) return undefined;
  const head = await pv.read(0, 4 * SECTOR);
  for (let s = 0; s < 4; s++) {
    const sector = head.subarray(s * SECTOR, (s + 1) * SECTOR);
    if (!hasSignature(sector, 0, 'LABELONE')) continue;
    const fail = (d: string): Error => invalidImage('LVM physical volume label on', name, d);
    if (lvmCrc(sector.subarray(20)) !== u32le(sector, 16)) throw fail('label CRC mismatch');
    if (!hasSignature(sector, 24, 'LVM2 001'))
      throw fail(`label type "${ascii(sector, 24, 8)}" is not LVM2`);
    const at = u32le(sector, 20);
    if (at < 32 || at + 32 + 8 + 16 > SECTOR)
      throw fail(`PV header offset ${at} outside the label sector`);
    const pvUuid = ascii(sector, at, 32);
    const deviceSize = safeNumber(u64leBig(sector, at + 32)) ?? 0;
    // Two zero-terminated lists of (offset, size): data areas, then metadata areas.
    const lists: { offset: number; size: number }[][] = [[], []];
    let p = at + 40;
    for (const list of lists) {
      for (;;) {
        if (p + 16 > SECTOR) throw fail('PV header area lists run past the label sector');
        const offset = u64leBig(sector, p);
        const size = u64leBig(sector, p + 8);
        p += 16;
        if (offset === 0n) break;
        if (list.length >= MAX_AREAS) throw fail('too many areas in the PV header');
        const o = safeNumber(offset);
        const z = safeNumber(size);
        if (o === undefined || z === undefined) throw fail(`area at ${hex(offset)} out of range`);
        list.push({ offset: o, size: z });
      }
    }
    return { pvUuid, deviceSize, metadataAreas: lists[1]! };
  }
  return undefined;
}

/** The current VG metadata text of a metadata area, checksum verified, or undefined when empty. */
export async function readMetadataText(
  pv: RandomAccessReader,
  name: string,
  area: { offset: number; size: number },
): Promise<string | undefined> {
  const fail = (d: string): Error => invalidImage('LVM metadata area on', name, d);
  if (area.size <= MDA_HEADER_SIZE || area.offset + area.size > pv.size) {
    throw fail(`area at ${hex(area.offset)} (${area.size} bytes) lies outside the volume`);
  }
  const h = await pv.read(area.offset, MDA_HEADER_SIZE);
  if (lvmCrc(h.subarray(4)) !== u32le(h, 0)) throw fail('metadata area header CRC mismatch');
  if (!hasSignature(h, 4, MDA_MAGIC)) throw fail('metadata area header magic missing');
  const offset = safeNumber(u64leBig(h, 40));
  const size = safeNumber(u64leBig(h, 48));
  const checksum = u32le(h, 56);
  const flags = u32le(h, 60);
  if (offset === undefined || size === undefined) throw fail('metadata location out of range');
  if (offset === 0 || size === 0 || flags & 1) return undefined;
  const ring = area.size - MDA_HEADER_SIZE;
  if (offset < MDA_HEADER_SIZE || offset >= area.size || size > ring || size > MAX_METADATA_BYTES) {
    throw fail(`metadata text at ${hex(offset)} (${size} bytes) does not fit the area`);
  }
  // The text lives in a ring buffer after the header and may wrap around its end.
  const first = Math.min(size, area.size - offset);
  const text = new Uint8Array(size);
  text.set(await pv.read(area.offset + offset, first), 0);
  if (first < size) text.set(await pv.read(area.offset + MDA_HEADER_SIZE, size - first), first);
  if (lvmCrc(text) !== checksum) throw fail('metadata text checksum mismatch');
  return new TextDecoder().decode(text).replace(/\0+$/, '');
}

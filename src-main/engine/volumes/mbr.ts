import type { RandomAccessReader } from '../io/random-access';
import { invalidImage, u32le } from '../formats/binary';
import { isExtendedMbrType, mbrPartitionKind, type PartitionKind } from './partition-types';

export const SECTOR = 512;
/** Linux reads at most this many logical partitions; a longer EBR chain is broken or a loop. */
const MAX_LOGICAL = 128;

export interface MbrPartition {
  /** Linux numbering: primaries 1–4 by slot, logicals from 5 in chain order. */
  number: number;
  startSector: number;
  sizeSectors: number;
  type: number;
  kind: PartitionKind;
  bootable: boolean;
}

export interface MbrTable {
  diskId: number;
  partitions: MbrPartition[];
}

interface RawEntry {
  status: number;
  type: number;
  start: number;
  size: number;
}

function entries(sector: Uint8Array): RawEntry[] {
  const out: RawEntry[] = [];
  for (let i = 0; i < 4; i++) {
    const at = 446 + i * 16;
    out.push({
      status: sector[at]!,
      type: sector[at + 4]!,
      start: u32le(sector, at + 8),
      size: u32le(sector, at + 12),
    });
  }
  return out;
}

export function hasMbrSignature(sector0: Uint8Array): boolean {
  return sector0.length >= SECTOR && sector0[510] === 0x55 && sector0[511] === 0xaa;
}

/**
 * Whether sector 0 is a usable DOS partition table: the boot signature, status bytes of 0 or
 * 0x80 (a FAT or NTFS boot sector has code there instead) and at least one partition.
 */
export function looksLikeMbr(sector0: Uint8Array): boolean {
  if (!hasMbrSignature(sector0)) return false;
  const list = entries(sector0);
  return (
    list.every((e) => e.status === 0 || e.status === 0x80) &&
    list.some((e) => e.type !== 0 && e.size > 0)
  );
}

/** Reads the primary table and the chain of extended boot records behind an extended partition. */
export async function readMbr(disk: RandomAccessReader, diskName: string): Promise<MbrTable> {
  const fail = (d: string): Error => invalidImage('MBR partition table of', diskName, d);
  const diskSectors = Math.floor(disk.size / SECTOR);
  const sector0 = await disk.read(0, SECTOR);
  const partitions: MbrPartition[] = [];
  const inDisk = (start: number, size: number): boolean =>
    start > 0 && size > 0 && start + size <= diskSectors;
  let extended: { start: number; size: number } | undefined;
  for (const [i, e] of entries(sector0).entries()) {
    if (e.type === 0 || e.size === 0) continue;
    if (!inDisk(e.start, e.size)) {
      throw fail(
        `partition ${i + 1} (sectors ${e.start}+${e.size}) lies outside the ${diskSectors}-sector disk`,
      );
    }
    const kind = mbrPartitionKind(e.type);
    partitions.push({
      number: i + 1,
      startSector: e.start,
      sizeSectors: e.size,
      type: e.type,
      kind,
      bootable: e.status === 0x80,
    });
    if (isExtendedMbrType(e.type) && extended === undefined)
      extended = { start: e.start, size: e.size };
  }

  if (extended !== undefined) {
    // Each EBR holds one logical partition (relative to the EBR) and a link to the next EBR
    // (relative to the extended partition's start).
    const visited = new Set<number>();
    let ebr = extended.start;
    let number = 5;
    for (;;) {
      if (visited.has(ebr)) throw fail(`extended boot record chain loops back to sector ${ebr}`);
      if (visited.size >= MAX_LOGICAL) throw fail(`more than ${MAX_LOGICAL} logical partitions`);
      visited.add(ebr);
      const sector = await disk.read(ebr * SECTOR, SECTOR);
      if (!hasMbrSignature(sector))
        throw fail(`extended boot record at sector ${ebr} has no boot signature`);
      const [logical, link] = entries(sector) as [RawEntry, RawEntry];
      if (logical.type !== 0 && logical.size > 0) {
        const start = ebr + logical.start;
        if (!inDisk(start, logical.size) || start + logical.size > extended.start + extended.size) {
          throw fail(
            `logical partition ${number} (sectors ${start}+${logical.size}) lies outside the extended partition`,
          );
        }
        const kind = mbrPartitionKind(logical.type);
        partitions.push({
          number: number++,
          startSector: start,
          sizeSectors: logical.size,
          type: logical.type,
          kind,
          bootable: logical.status === 0x80,
        });
      }
      if (link.type === 0 || link.start === 0 || !isExtendedMbrType(link.type)) break;
      ebr = extended.start + link.start;
      if (ebr >= extended.start + extended.size)
        throw fail(`extended boot record link to sector ${ebr} leaves the extended partition`);
    }
  }
  return { diskId: u32le(sector0, 440), partitions };
}

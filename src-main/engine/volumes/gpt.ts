import { crc32 } from 'node:zlib';
import type { RandomAccessReader } from '../io/random-access';
import {
  guidMixedEndian,
  hasSignature,
  invalidImage,
  isAllZero,
  safeNumber,
  u32le,
  u64leBig,
  utf16,
} from '../formats/binary';
import { gptPartitionKind, type PartitionKind } from './partition-types';

export interface GptPartition {
  /** Linux numbering: the entry's index in the table plus one (gaps are kept). */
  number: number;
  startSector: number;
  sizeSectors: number;
  typeGuid: string;
  kind: PartitionKind;
  uuid: string;
  name: string;
  attributes: bigint;
}

export interface GptTable {
  diskGuid: string;
  sectorSize: number;
  firstUsable: number;
  lastUsable: number;
  partitions: GptPartition[];
  /** Set when the primary header or entries were damaged and the backup copy was used. */
  usedBackup: boolean;
}

const MAX_ENTRIES = 4096;
const MAX_ENTRY_SIZE = 4096;

interface Header {
  myLba: number;
  alternateLba: number;
  firstUsable: number;
  lastUsable: number;
  diskGuid: string;
  entriesLba: number;
  entryCount: number;
  entrySize: number;
  entriesCrc: number;
}

/** Whether a GPT header is at LBA 1 for this sector size (cheap check, no CRC). */
export async function gptSectorSize(disk: RandomAccessReader): Promise<number | undefined> {
  for (const size of [512, 4096]) {
    if (disk.size < size * 3) continue;
    if (hasSignature(await disk.read(size, 8), 0, 'EFI PART')) return size;
  }
  return undefined;
}

/**
 * Reads a GUID partition table, checking header and entry CRCs, and falls back to the backup
 * header at the end of the disk when the primary copy is damaged.
 */
export async function readGpt(
  disk: RandomAccessReader,
  diskName: string,
  sectorSize = 512,
): Promise<GptTable> {
  const fail = (d: string): Error => invalidImage('GPT of', diskName, d);
  const lastLba = Math.floor(disk.size / sectorSize) - 1;
  const problems: string[] = [];
  const attempt = async (lba: number, which: string): Promise<GptTable | undefined> => {
    const header = await readHeader(disk, lba, sectorSize, lastLba, (p) =>
      problems.push(`${which} header: ${p}`),
    );
    if (header === undefined) return undefined;
    const bytes = header.entryCount * header.entrySize;
    if ((header.entriesLba + Math.ceil(bytes / sectorSize)) * sectorSize > disk.size) {
      problems.push(`${which} partition entries lie beyond the end of the disk`);
      return undefined;
    }
    const table = await disk.read(header.entriesLba * sectorSize, bytes);
    if (crc32(table) !== header.entriesCrc) {
      problems.push(`${which} partition entries fail their CRC`);
      return undefined;
    }
    const partitions: GptPartition[] = [];
    for (let i = 0; i < header.entryCount; i++) {
      const e = table.subarray(i * header.entrySize, (i + 1) * header.entrySize);
      if (isAllZero(e.subarray(0, 16))) continue;
      const first = safeNumber(u64leBig(e, 32));
      const last = safeNumber(u64leBig(e, 40));
      if (first === undefined || last === undefined || first > last || last > lastLba) {
        throw fail(
          `partition ${i + 1} (LBA ${u64leBig(e, 32)}..${u64leBig(e, 40)}) lies outside the disk`,
        );
      }
      const typeGuid = guidMixedEndian(e, 0);
      partitions.push({
        number: i + 1,
        startSector: first,
        sizeSectors: last - first + 1,
        typeGuid,
        kind: gptPartitionKind(typeGuid),
        uuid: guidMixedEndian(e, 16),
        name: utf16(e, 56, Math.min(72, header.entrySize - 56), true),
        attributes: u64leBig(e, 48),
      });
    }
    return {
      diskGuid: header.diskGuid,
      sectorSize,
      firstUsable: header.firstUsable,
      lastUsable: header.lastUsable,
      partitions,
      usedBackup: which === 'backup',
    };
  };

  const primary = await attempt(1, 'primary');
  if (primary) return primary;
  const backup = await attempt(lastLba, 'backup');
  if (backup) return backup;
  throw fail(`neither GPT copy is usable (${problems.join('; ')})`);
}

async function readHeader(
  disk: RandomAccessReader,
  lba: number,
  sectorSize: number,
  lastLba: number,
  problem: (p: string) => void,
): Promise<Header | undefined> {
  if (lba < 1 || lba > lastLba) return undefined;
  const h = await disk.read(lba * sectorSize, sectorSize);
  if (!hasSignature(h, 0, 'EFI PART')) {
    problem('no "EFI PART" signature');
    return undefined;
  }
  const size = u32le(h, 12);
  if (size < 92 || size > sectorSize) {
    problem(`header size ${size}`);
    return undefined;
  }
  const copy = new Uint8Array(h.subarray(0, size));
  copy.fill(0, 16, 20);
  if (crc32(copy) !== u32le(h, 16)) {
    problem('header CRC mismatch');
    return undefined;
  }
  const num = (at: number): number => safeNumber(u64leBig(h, at)) ?? -1;
  const header: Header = {
    myLba: num(24),
    alternateLba: num(32),
    firstUsable: num(40),
    lastUsable: num(48),
    diskGuid: guidMixedEndian(h, 56),
    entriesLba: num(72),
    entryCount: u32le(h, 80),
    entrySize: u32le(h, 84),
    entriesCrc: u32le(h, 88),
  };
  if (header.myLba !== lba) {
    problem(`header says it is at LBA ${header.myLba}, found at ${lba}`);
    return undefined;
  }
  if (
    header.entryCount > MAX_ENTRIES ||
    header.entrySize < 128 ||
    header.entrySize > MAX_ENTRY_SIZE ||
    header.entrySize % 8 !== 0
  ) {
    problem(`${header.entryCount} entries of ${header.entrySize} bytes`);
    return undefined;
  }
  if (header.entriesLba < 2 || header.entriesLba > lastLba) {
    problem(`partition entries at LBA ${header.entriesLba}`);
    return undefined;
  }
  return header;
}

import type { RandomAccessReader } from '../io/random-access';
import { SliceReader } from '../io/slice-reader';
import { detectFsHint, fsHintOf, type FsHint } from './fs-signature';
import { gptSectorSize, readGpt } from './gpt';
import { scanLvm } from './lvm/lvm-volumes';
import { SECTOR, hasMbrSignature, looksLikeMbr, readMbr } from './mbr';
import type { PartitionKind } from './partition-types';

/** A volume of a VM's disks, named the way a Linux guest would see it. */
export interface VolumeInfo {
  /** "vda1" (partition), "vdb" (file system on the whole disk), "vg0-root" (LVM logical volume). */
  name: string;
  /** The disk it is on; for a logical volume, the disk holding its first extent. */
  disk: string;
  /** Byte offset on `disk`; 0 for logical volumes, whose extents may lie anywhere. */
  offset: number;
  size: number;
  /** GPT type GUID, MBR type byte as "0x83", "lvm" for a logical volume, "" for a whole disk. */
  partitionType: string;
  partitionKind: PartitionKind;
  /** GPT partition name, when there is one. */
  partitionLabel?: string;
  /** How the guest names the partition: Linux PARTUUID=, Windows MountedDevices. */
  partitionId?: PartitionId;
  fsHint: FsHint;
  reader: RandomAccessReader;
}

export type PartitionId =
  /** MBR: the disk signature (bytes 440–443) and the Linux partition number. */
  | { scheme: 'mbr'; diskSignature: number; number: number }
  /** GPT: the partition's unique GUID (upper-case text) and its number. */
  | { scheme: 'gpt'; guid: string; number: number };

export interface DiskInput {
  /** Guest device name: vda, sdb, nvme0n1. */
  name: string;
  reader: RandomAccessReader;
}

/** Linux appends the number to the disk name, with a "p" when the name ends in a digit. */
export function partitionName(disk: string, n: number): string {
  return /\d$/.test(disk) ? `${disk}p${n}` : `${disk}${n}`;
}

/** Volumes of one disk (partitions, or the whole disk) plus LVM logical volumes on it. */
export async function listVolumes(
  disk: RandomAccessReader,
  diskName: string,
): Promise<VolumeInfo[]> {
  return (await listDiskVolumes([{ name: diskName, reader: disk }])).volumes;
}

/**
 * Volumes of all disks of a VM: partitions (GPT, MBR with logical partitions), whole-disk file
 * systems, and LVM logical volumes, which may span disks. Volumes that cannot be read (an LV on a
 * missing disk, an unsupported LV type) are reported in `warnings` rather than hidden.
 */
export async function listDiskVolumes(
  disks: DiskInput[],
): Promise<{ volumes: VolumeInfo[]; warnings: string[] }> {
  const volumes: VolumeInfo[] = [];
  for (const disk of disks) volumes.push(...(await volumesOfDisk(disk)));
  const pvs = volumes
    .filter((v) => v.fsHint === 'lvm')
    .map((v) => ({ name: v.name, reader: v.reader }));
  if (pvs.length === 0) return { volumes, warnings: [] };
  const lvm = await scanLvm(pvs);
  for (const lv of lvm.volumes) {
    const firstPv = volumes.find((v) => v.name === lv.pvNames[0]);
    volumes.push({
      name: lv.name,
      disk: firstPv?.disk ?? '',
      offset: 0,
      size: lv.reader.size,
      partitionType: 'lvm',
      partitionKind: 'lvm-logical-volume',
      fsHint: lv.reader.size > 0 ? await detectFsHint(lv.reader) : 'unknown',
      reader: lv.reader,
    });
  }
  return { volumes, warnings: lvm.warnings };
}

async function volumesOfDisk({ name, reader }: DiskInput): Promise<VolumeInfo[]> {
  const whole = async (fsHint?: FsHint): Promise<VolumeInfo[]> => [
    {
      name,
      disk: name,
      offset: 0,
      size: reader.size,
      partitionType: '',
      partitionKind: 'whole-disk',
      fsHint: fsHint ?? (reader.size > 0 ? await detectFsHint(reader) : 'unknown'),
      reader,
    },
  ];
  if (reader.size < 2 * SECTOR) return whole();
  const head = await reader.read(0, Math.min(reader.size, 0x10048));
  const hint = fsHintOf(head);
  // A FAT/NTFS boot sector ends in 55 AA like an MBR: recognise the file system first.
  if (hint === 'fat' || hint === 'ntfs' || hint === 'exfat') return whole(hint);

  const sector0 = head.subarray(0, SECTOR);
  const protective =
    hasMbrSignature(sector0) && [0, 1, 2, 3].some((i) => sector0[446 + i * 16 + 4] === 0xee);
  const gptSize = await gptSectorSize(reader);
  const slice = (n: number, startSector: number, sizeSectors: number, sectorSize: number) => {
    const partName = partitionName(name, n);
    const offset = startSector * sectorSize;
    const size = sizeSectors * sectorSize;
    return {
      partName,
      offset,
      size,
      slice: new SliceReader(reader, offset, size, `partition ${partName}`),
    };
  };
  if (gptSize !== undefined || protective) {
    const table = await readGpt(reader, name, gptSize ?? SECTOR);
    const out: VolumeInfo[] = [];
    for (const p of table.partitions) {
      const s = slice(p.number, p.startSector, p.sizeSectors, table.sectorSize);
      out.push({
        name: s.partName,
        disk: name,
        offset: s.offset,
        size: s.size,
        partitionType: p.typeGuid,
        partitionKind: p.kind,
        partitionLabel: p.name,
        partitionId: { scheme: 'gpt', guid: p.uuid, number: p.number },
        fsHint: await detectFsHint(s.slice),
        reader: s.slice,
      });
    }
    return out;
  }
  if (looksLikeMbr(sector0)) {
    const table = await readMbr(reader, name);
    const out: VolumeInfo[] = [];
    for (const p of table.partitions) {
      if (p.kind === 'extended') continue; // a container of logical partitions, not a volume
      const s = slice(p.number, p.startSector, p.sizeSectors, SECTOR);
      out.push({
        name: s.partName,
        disk: name,
        offset: s.offset,
        size: s.size,
        partitionType: `0x${p.type.toString(16).padStart(2, '0')}`,
        partitionKind: p.kind,
        partitionId: { scheme: 'mbr', diskSignature: table.diskId, number: p.number },
        fsHint: await detectFsHint(s.slice),
        reader: s.slice,
      });
    }
    return out;
  }
  return whole(hint);
}

import type { GuestOs } from '../../../shared/domain/files';
import type { FileSystem } from '../filesystems/filesystem';
import type { PartitionId, VolumeInfo } from '../volumes/detect';
import { mbrPartUuid, type VolumeIdentity } from './fstab';

/** A volume of a VM as guest detection sees it: where it is, how it is named, what it holds. */
export interface GuestVolume {
  /** vda2, vdb, vg0-root */
  name: string;
  disk: string;
  /** Byte offset on `disk` (a partition's start; 0 for whole disks and logical volumes). */
  offsetBytes: number;
  sizeBytes: number;
  /** The opened file system; absent when the volume holds none we can read (swap, LUKS …). */
  fs?: FileSystem;
  /** File-system UUID as blkid prints it; defaults to `fs.uuid`. */
  fsUuid?: string;
  /** File-system label; defaults to `fs.label`. */
  label?: string;
  /** Set for partitions: MBR disk signature + number, or GPT partition GUID. */
  partition?: PartitionId;
  /** GPT partition name (PARTLABEL=). */
  partitionLabel?: string;
}

export interface GuestDetection {
  guestOs?: GuestOs;
  /** Short distribution or product id: "debian", "ubuntu", "windows". */
  osId?: string;
  /** Volume name → mount point from /etc/fstab ("/", "/home", "[SWAP]" for swap areas). */
  mountPoints: Map<string, string>;
  /** Volume name → drive letter from the SYSTEM hive's MountedDevices ("C:"). */
  driveLetters: Map<string, string>;
  /** What could not be read or matched, for the restore point's record. */
  notes: string[];
}

/** The GuestVolume for a volume found by listDiskVolumes, with its file system if opened. */
export function guestVolumeFromInfo(info: VolumeInfo, fs?: FileSystem): GuestVolume {
  const volume: GuestVolume = {
    name: info.name,
    disk: info.disk,
    offsetBytes: info.offset,
    sizeBytes: info.size,
  };
  if (fs) volume.fs = fs;
  if (info.partitionId) volume.partition = info.partitionId;
  if (info.partitionLabel) volume.partitionLabel = info.partitionLabel;
  return volume;
}

/** The names fstab can use for a volume. */
export function identityOf(volume: GuestVolume): VolumeIdentity {
  const identity: VolumeIdentity = { name: volume.name };
  const fsUuid = volume.fsUuid ?? volume.fs?.uuid;
  const label = volume.label ?? volume.fs?.label;
  if (fsUuid) identity.fsUuid = fsUuid;
  if (label) identity.label = label;
  const p = volume.partition;
  if (p?.scheme === 'gpt') identity.partUuid = p.guid;
  if (p?.scheme === 'mbr') identity.partUuid = mbrPartUuid(p.diskSignature, p.number);
  if (volume.partitionLabel) identity.partLabel = volume.partitionLabel;
  return identity;
}

/** A failure as one line for the notes. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

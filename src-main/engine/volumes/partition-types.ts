/** What a partition is for, from its type id: enough to pick a reader and to show a person. */
export type PartitionKind =
  | 'linux-fs'
  | 'linux-lvm'
  | 'linux-swap'
  | 'linux-raid'
  | 'efi-system'
  | 'bios-boot'
  | 'microsoft-basic-data'
  | 'microsoft-reserved'
  | 'windows-recovery'
  | 'extended'
  | 'whole-disk'
  | 'lvm-logical-volume'
  | 'unknown';

const GPT_KINDS: Record<string, PartitionKind> = {
  '0FC63DAF-8483-4772-8E79-3D69D8477DE4': 'linux-fs',
  // Discoverable Partitions Specification: root, /usr, /home, /srv, /var, /tmp and XBOOTLDR hold
  // ordinary Linux file systems.
  '44479540-F297-41B2-9AF7-D131D5F0458A': 'linux-fs', // root x86
  '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709': 'linux-fs', // root x86-64
  'B921B045-1DF0-41C3-AF44-4C6F280D3FAE': 'linux-fs', // root arm64
  '8484680C-9521-48C6-9C11-B0720656F69E': 'linux-fs', // /usr x86-64
  '933AC7E1-2EB4-4F13-B844-0E14E2AEF915': 'linux-fs', // /home
  '3B8F8425-20E0-4F3B-907F-1A25A76F98E8': 'linux-fs', // /srv
  '4D21B016-B534-45C2-A9FB-5C16E091FD2D': 'linux-fs', // /var
  '7EC6F557-3BC5-4ACA-B293-16EF5DF639D1': 'linux-fs', // /var/tmp
  'BC13C2FF-59E6-4262-A352-B275FD6F7172': 'linux-fs', // XBOOTLDR (/boot)
  'E6D6D379-F507-44C2-A23C-238F2A3DF928': 'linux-lvm',
  '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F': 'linux-swap',
  'A19D880F-05FC-4D3B-A006-743F0F84911E': 'linux-raid',
  'C12A7328-F81F-11D2-BA4B-00A0C93EC93B': 'efi-system',
  '21686148-6449-6E6F-744E-656564454649': 'bios-boot',
  'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7': 'microsoft-basic-data',
  'E3C9E316-0B5C-4DB8-817D-F92DF00215AE': 'microsoft-reserved',
  'DE94BBA4-06D1-4D40-A16A-BFD50179D6AC': 'windows-recovery',
};

const MBR_KINDS: Record<number, PartitionKind> = {
  0x83: 'linux-fs',
  0x8e: 'linux-lvm',
  0x82: 'linux-swap',
  0xfd: 'linux-raid',
  0xef: 'efi-system',
  0x01: 'microsoft-basic-data', // FAT12
  0x04: 'microsoft-basic-data', // FAT16 < 32 MiB
  0x06: 'microsoft-basic-data', // FAT16
  0x07: 'microsoft-basic-data', // NTFS / exFAT
  0x0b: 'microsoft-basic-data', // FAT32 CHS
  0x0c: 'microsoft-basic-data', // FAT32 LBA
  0x0e: 'microsoft-basic-data', // FAT16 LBA
  0x27: 'windows-recovery',
  0x05: 'extended',
  0x0f: 'extended',
  0x85: 'extended',
};

export function gptPartitionKind(typeGuid: string): PartitionKind {
  return GPT_KINDS[typeGuid.toUpperCase()] ?? 'unknown';
}

export function mbrPartitionKind(type: number): PartitionKind {
  return MBR_KINDS[type] ?? 'unknown';
}

export function isExtendedMbrType(type: number): boolean {
  return MBR_KINDS[type] === 'extended';
}

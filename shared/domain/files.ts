import { z } from 'zod';

/**
 * The file catalog of restore points (issue 5) as the console and the CLI see it. Browse paths
 * start with the volume's guest device name: `/vda2/home/alice/notes.txt`, `/vdb/data`,
 * `/vg0-root/etc/fstab`; `/` lists the volumes of the point.
 */
export const FileType = z.enum(['file', 'dir', 'symlink', 'other']);
export type FileType = z.infer<typeof FileType>;

export const FileEntry = z.object({
  name: z.string(),
  /** the full browse path */
  path: z.string(),
  type: FileType,
  /** bytes of the file's data; 0 for directories */
  size: z.number().nonnegative(),
  /** ISO 8601 */
  mtime: z.string().optional(),
  /** POSIX permission bits (mode & 0o7777) where the file system has them */
  mode: z.number().int().nonnegative().optional(),
  /** user name from the guest's /etc/passwd, else the uid; the owner SID/account on NTFS */
  owner: z.string().optional(),
  group: z.string().optional(),
  /** one line: "3 ACEs, inherited" or "POSIX ACL: user:bob:r--" */
  aclSummary: z.string().optional(),
  linkTarget: z.string().optional(),
  /** hidden, system, readonly, compressed, sparse, encrypted, ads:NAME … */
  attributes: z.array(z.string()).optional(),
});
export type FileEntry = z.infer<typeof FileEntry>;

/** A volume of a restore point: a partition, a whole-disk file system or an LVM volume. */
export const PointVolume = z.object({
  /** vda2, vdb, vg0-root */
  name: z.string(),
  disk: z.string(),
  offsetBytes: z.number().nonnegative(),
  sizeBytes: z.number().nonnegative(),
  /** ext4, ntfs, fat32 … when recognized */
  filesystem: z.string().optional(),
  label: z.string().optional(),
  /** from the guest's /etc/fstab */
  mountPoint: z.string().optional(),
  /** from the Windows SYSTEM hive (MountedDevices) */
  driveLetter: z.string().optional(),
  indexed: z.boolean(),
  files: z.number().int().nonnegative().optional(),
  /** why the volume was not indexed (unknown file system, damaged structure …) */
  error: z.string().optional(),
});
export type PointVolume = z.infer<typeof PointVolume>;

export const GuestOs = z.object({
  family: z.enum(['linux', 'windows', 'other']),
  /** "Debian GNU/Linux 12 (bookworm)", "Windows Server 2022 Standard" */
  name: z.string().optional(),
  version: z.string().optional(),
  hostname: z.string().optional(),
});
export type GuestOs = z.infer<typeof GuestOs>;

export const FileListing = z.object({
  pointId: z.string(),
  pointTime: z.string(),
  path: z.string(),
  entries: z.array(FileEntry),
  /** Entries in the whole folder, when the request asked for a page of it. */
  total: z.number().int().nonnegative().optional(),
});
export type FileListing = z.infer<typeof FileListing>;

export const FileSearchHit = z.object({
  vmUuid: z.string(),
  vmName: z.string(),
  pointId: z.string(),
  pointTime: z.string(),
  entry: FileEntry,
});
export type FileSearchHit = z.infer<typeof FileSearchHit>;

export const FileVersion = z.object({
  pointId: z.string(),
  pointTime: z.string(),
  entry: FileEntry,
  /** differs from the next older version (size, mtime or content extents); false for the first */
  changed: z.boolean(),
  /** the oldest version the catalog holds: the file's first appearance, not a change */
  first: z.boolean(),
});
export type FileVersion = z.infer<typeof FileVersion>;

export const FileDiff = z.object({
  added: z.array(FileEntry),
  removed: z.array(FileEntry),
  changed: z.array(FileEntry),
  truncated: z.boolean(),
});
export type FileDiff = z.infer<typeof FileDiff>;

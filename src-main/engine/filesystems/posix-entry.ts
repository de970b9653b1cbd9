import type { EntryFlags, EntryType, FsEntry } from './filesystem';

/** File type bits of a POSIX mode, as ext and XFS inodes store it. */
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export function posixEntryType(mode: number): EntryType {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return 'dir';
    case S_IFREG:
      return 'file';
    case S_IFLNK:
      return 'symlink';
    default:
      return 'other';
  }
}

/** What ext and XFS inodes share: a POSIX mode, owners, times, links and flag bits. */
export interface PosixInode {
  number: number;
  mode: number;
  size: number;
  uid: number;
  gid: number;
  mtime: Date;
  atime: Date;
  ctime: Date;
  crtime?: Date | undefined;
  nlink: number;
  /** The file system's own inode flags (ext i_flags, XFS di_flags). */
  flags: number;
}

/** The catalog entry of a POSIX inode; `flags` are the file-system specific entry flags. */
export function posixEntry(
  inode: PosixInode,
  name: string,
  path: string,
  flags: EntryFlags,
): FsEntry {
  const entry: FsEntry = {
    id: inode.number,
    name,
    path,
    type: posixEntryType(inode.mode),
    size: inode.size,
    mode: inode.mode,
    uid: inode.uid,
    gid: inode.gid,
    mtime: inode.mtime,
    atime: inode.atime,
    ctime: inode.ctime,
    nlink: inode.nlink,
    attributes: inode.flags,
    flags,
  };
  if (inode.crtime) entry.birthtime = inode.crtime;
  return entry;
}

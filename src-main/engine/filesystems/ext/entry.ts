import type { EntryType, FsEntry } from '../filesystem';
import { INODE_FLAG, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type ExtInode } from './inode';
import type { ExtSuperblock } from './superblock';

/** The entry of an inode, except a symlink's target (which may need a read). */
export function entryOfInode(
  sb: ExtSuperblock,
  inode: ExtInode,
  name: string,
  path: string,
): FsEntry {
  const format = inode.mode & S_IFMT;
  const type: EntryType =
    format === S_IFDIR
      ? 'dir'
      : format === S_IFREG
        ? 'file'
        : format === S_IFLNK
          ? 'symlink'
          : 'other';
  const inline = (inode.flags & INODE_FLAG.inlineData) !== 0;
  const xattrBytes = inode.fileAcl !== 0 ? sb.clusterSize : 0;
  const blocksNeeded = Math.ceil(inode.size / sb.blockSize) * sb.blockSize;
  const entry: FsEntry = {
    id: inode.number,
    name,
    path,
    type,
    size: inode.size,
    mode: inode.mode,
    uid: inode.uid,
    gid: inode.gid,
    mtime: inode.mtime,
    atime: inode.atime,
    ctime: inode.ctime,
    nlink: inode.linksCount,
    attributes: inode.flags,
    flags: {
      sparse: type === 'file' && !inline && inode.allocatedBytes - xattrBytes < blocksNeeded,
      compressed: (inode.flags & INODE_FLAG.compressed) !== 0,
      encrypted: (inode.flags & INODE_FLAG.encrypt) !== 0,
    },
  };
  if (inode.crtime) entry.birthtime = inode.crtime;
  return entry;
}

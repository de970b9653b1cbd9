import type { FsEntry } from '../filesystem';
import { posixEntry, posixEntryType } from '../posix-entry';
import { INODE_FLAG, type ExtInode } from './inode';
import type { ExtSuperblock } from './superblock';

/** The entry of an inode, except a symlink's target (which may need a read). */
export function entryOfInode(
  sb: ExtSuperblock,
  inode: ExtInode,
  name: string,
  path: string,
): FsEntry {
  const inline = (inode.flags & INODE_FLAG.inlineData) !== 0;
  const xattrBytes = inode.fileAcl !== 0 ? sb.clusterSize : 0;
  const blocksNeeded = Math.ceil(inode.size / sb.blockSize) * sb.blockSize;
  const isFile = posixEntryType(inode.mode) === 'file';
  return posixEntry({ ...inode, nlink: inode.linksCount }, name, path, {
    sparse: isFile && !inline && inode.allocatedBytes - xattrBytes < blocksNeeded,
    compressed: (inode.flags & INODE_FLAG.compressed) !== 0,
    encrypted: (inode.flags & INODE_FLAG.encrypt) !== 0,
  });
}

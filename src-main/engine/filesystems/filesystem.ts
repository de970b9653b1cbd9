/**
 * Read-only view of a file system inside a volume (a RandomAccessReader over the volume's bytes).
 * One implementation per family: ext/ (ext2/3/4), xfs/, ntfs/, fat/ (FAT12/16/32). Every parser
 * treats the volume as hostile: bad structures raise
 * HyperkeepError('INVALID_INPUT', '<fs>: <structure> …').
 */

export type FileSystemKind = 'ext' | 'ntfs' | 'fat' | 'xfs';
/** File systems of Linux guests: POSIX names, modes and owners, /etc/fstab lives on them. */
export function isLinuxFileSystem(kind: FileSystemKind): boolean {
  return kind === 'ext' || kind === 'xfs';
}

/**
 * The name a point records for a volume's file system (PointVolume.filesystem): ext2/ext3/ext4
 * by variant, else the kind (xfs, ntfs); FAT by variant (fat12/fat16/fat32).
 */
export function fileSystemName(fs: { kind: FileSystemKind; variant: string }): string {
  if (fs.kind === 'ntfs' || fs.kind === 'xfs') return fs.kind;
  return fs.variant.toLowerCase();
}

/** isLinuxFileSystem for a recorded fileSystemName. */
export function isLinuxFileSystemName(name: string): boolean {
  return /^(ext[234]|xfs)$/.test(name);
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface EntryFlags {
  /** The file has holes (unallocated ranges that read as zeros). */
  sparse: boolean;
  /** Stored compressed by the file system (NTFS LZNT1). Reads return the decompressed bytes. */
  compressed: boolean;
  /** Stored encrypted (NTFS EFS, ext4 fscrypt). Reads return the stored ciphertext. */
  encrypted: boolean;
}

/** A named NTFS data stream (alternate data stream), e.g. `Zone.Identifier`. */
export interface NamedStream {
  name: string;
  size: number;
}

export interface FsEntry {
  /**
   * Stable number of the object inside this file system: ext/XFS inode number, NTFS MFT record
   * number, FAT byte offset of the short directory entry in the volume (0 for the root).
   * Hard links share the id.
   */
  id: number;
  /** Name in its parent directory ('' for the root). */
  name: string;
  /** Absolute path from the root, '/'-separated ('/' for the root). */
  path: string;
  type: EntryType;
  /**
   * Bytes of the main data as the file system records it: ext i_size and XFS di_size
   * (directories and symlinks too), NTFS unnamed $DATA stream (0 for directories), FAT entry
   * size (0 for directories).
   */
  size: number;
  /** POSIX mode bits including the file type bits (ext and XFS). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Owner SID, e.g. S-1-5-32-544 (NTFS). */
  owner?: string;
  /** Short SDDL-like rendering of the DACL, e.g. D:(A;OICI;0x1f01ff;;;S-1-5-18) (NTFS). */
  aclSummary?: string;
  mtime?: Date;
  atime?: Date;
  /** Metadata change time (ext inode change, NTFS MFT record change). */
  ctime?: Date;
  birthtime?: Date;
  /** Number of names the object has (hard links). */
  nlink: number;
  symlinkTarget?: string;
  /** NTFS alternate data streams (the unnamed stream is the entry itself). */
  streams?: NamedStream[];
  /**
   * File-system specific attribute bits: ext i_flags, XFS di_flags, NTFS file attributes, FAT
   * attribute byte.
   */
  attributes?: number;
  flags: EntryFlags;
}

/** A run of one file mapped to the volume; together a file's extents cover [0, size) in order. */
export type FileExtent =
  /** Bytes stored as-is at volumeOffset. */
  | { kind: 'data'; fileOffset: number; length: number; volumeOffset: number }
  /** Unallocated, unwritten or past the valid data length: reads as zeros. */
  | { kind: 'hole'; fileOffset: number; length: number }
  /** Bytes kept inside file-system metadata (ext inline data, NTFS resident attribute). */
  | { kind: 'inline'; fileOffset: number; length: number; data: Uint8Array }
  /**
   * One NTFS compression unit: the LZNT1 stream is the concatenation of `runs`; it decompresses
   * to `length` bytes at fileOffset (see ntfs/lznt1.ts).
   */
  | { kind: 'lznt1'; fileOffset: number; length: number; runs: VolumeRun[] };

export interface VolumeRun {
  volumeOffset: number;
  length: number;
}

export interface WalkOptions {
  /**
   * Called when one directory cannot be listed (corrupt, unreadable). Return true to skip it and
   * go on with the rest of the tree; without a handler the walk stops with the error.
   */
  onDirectoryError?: (dir: FsEntry, error: unknown) => boolean;
  /** Deepest directory level to descend into (root = 0). Default 4096. */
  maxDepth?: number;
}

export interface FileSystem {
  readonly kind: FileSystemKind;
  /** Human name of the variant, e.g. 'ext4', 'FAT32', 'NTFS 3.1'. */
  readonly variant: string;
  readonly label?: string;
  readonly uuid?: string;
  /** Allocation unit in bytes (ext block, NTFS/FAT cluster). */
  readonly blockSize: number;
  /** Bytes the file system spans inside its volume. */
  readonly totalBytes: number;
  /**
   * Files, folders and links the volume holds by its own counters, for progress ("~40 %"): a
   * crash-consistent copy may carry counters that lag, and hard links count once. Undefined where
   * the format keeps no such count (NTFS, FAT).
   */
  readonly entriesInUse?: number;

  root(): Promise<FsEntry>;
  /** Children of a directory, without '.' and '..'. */
  listDir(dir: FsEntry): Promise<FsEntry[]>;
  /** Resolves an absolute path without following symlinks; NOT_FOUND when a component is missing. */
  lookup(path: string): Promise<FsEntry>;
  /** Where the bytes of a file (or of a named NTFS stream) live; holes included. */
  extents(entry: FsEntry, stream?: string): Promise<FileExtent[]>;
  /**
   * The same as extents(entry) without waiting, when the file system has everything it needs at
   * hand (undefined otherwise: then call extents). Throws what extents would reject with.
   */
  extentsIfReady(entry: FsEntry): FileExtent[] | undefined;
  /** Reads up to `length` bytes at `offset` (short only at the end of the file). */
  read(entry: FsEntry, offset: number, length: number, stream?: string): Promise<Uint8Array>;
  /** The whole content as a stream of chunks. */
  readFile(entry: FsEntry, stream?: string): AsyncIterable<Uint8Array>;
  /** Every entry, root first, depth first; each directory listed once even if linked twice. */
  walk(options?: WalkOptions): AsyncIterable<FsEntry>;
  /**
   * The same walk a folder at a time: the root alone, then each folder's entries as listDir gives
   * them. A catalog of 100k files then waits once per folder instead of once per file.
   */
  walkFolders(options?: WalkOptions): AsyncIterable<FsEntry[]>;
  close(): Promise<void>;
}

/**
 * Random read access to a byte range source: a raw file, a disk image decoded by a format reader,
 * a partition inside a disk, an NBD export. Readers of formats, volumes and file systems take and
 * return this one interface so they stack: file → qcow2 → GPT partition → ext4.
 */
export interface RandomAccessReader {
  /** Size in bytes of the virtual (decoded) content. */
  readonly size: number;
  /**
   * Reads exactly `length` bytes at `offset` (bytes past `size` are an error, not a short read).
   * Unallocated ranges read as zeros.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
  /**
   * Where bytes [offset, offset+length) lie in the readers this one is made of (a partition in
   * its disk, a logical volume in its physical volumes). Absent on a reader that is a source
   * itself. Lets a change known on the disks be placed on the volumes above them.
   */
  sourcesOf?(offset: number, length: number): ReaderPiece[];
}

/** Bytes [offset, offset+length) of `reader`. */
export interface ReaderPiece {
  reader: RandomAccessReader;
  offset: number;
  length: number;
}

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
}

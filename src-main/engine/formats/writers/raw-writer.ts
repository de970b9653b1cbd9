import { isZeroPiece, PlacedImageWriter, WRITE_ALIGNMENT } from './image-writer';
import type { PartialFile } from './partial-file';

/**
 * A raw image: the virtual disk byte for byte. The file is sized up front, so every range that is
 * never written (skipped or all-zero) stays a hole of the sparse file and reads as zeros.
 */
export class RawWriter extends PlacedImageWriter {
  private constructor(file: PartialFile, sizeBytes: number) {
    super(file, sizeBytes);
  }

  static async create(file: PartialFile, sizeBytes: number): Promise<RawWriter> {
    await file.truncate(sizeBytes);
    return new RawWriter(file, sizeBytes);
  }

  /**
   * Every offset maps to itself, so a run of non-zero 64 KiB pieces goes out as one write
   * (straight from the caller's buffer, no copy into the coalescing buffer); all-zero pieces are
   * skipped and stay holes. A restore's 8 MiB block then costs one pwrite instead of 128.
   */
  protected override async writeData(offset: number, data: Uint8Array): Promise<void> {
    let runStart = -1;
    // Bounded: each iteration looks at one piece.
    for (let at = 0; at < data.length; at += WRITE_ALIGNMENT) {
      const end = Math.min(data.length, at + WRITE_ALIGNMENT);
      if (isZeroPiece(data.subarray(at, end))) {
        if (runStart >= 0) await this.file.write(offset + runStart, data.subarray(runStart, at));
        runStart = -1;
      } else if (runStart < 0) runStart = at;
    }
    if (runStart >= 0) await this.file.write(offset + runStart, data.subarray(runStart));
  }

  protected place(offset: number): Promise<number> {
    return Promise.resolve(offset);
  }

  protected finalize(): Promise<void> {
    return Promise.resolve();
  }
}

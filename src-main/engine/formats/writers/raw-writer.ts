import { PlacedImageWriter } from './image-writer';
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

  protected place(offset: number): Promise<number> {
    return Promise.resolve(offset);
  }

  protected finalize(): Promise<void> {
    return Promise.resolve();
  }
}

import { HyperkeepError } from '../../../../shared/errors';
import type { ImageFormat } from '../../../../shared/domain/restore';
import { SECTOR, roundUp, type ImageWriter } from './image-writer';
import { PartialFile } from './partial-file';
import { Qcow2Writer } from './qcow2-writer';
import { RawWriter } from './raw-writer';
import { VhdWriter } from './vhd-writer';
import { VhdxWriter } from './vhdx-writer';
import { VmdkStreamWriter } from './vmdk-stream-writer';
import { VmdkWriter } from './vmdk-writer';

export type { ImageWriter } from './image-writer';

export interface ImageWriterOptions {
  /** Replace an existing file at `path` (when the restore finishes, not before). */
  overwrite?: boolean;
  /**
   * monolithicSparse (default): what qemu, VMware Workstation and `vmkfstools -i` take.
   * streamOptimized: compressed, for OVF/OVA packages and vSphere imports.
   */
  vmdkSubformat?: 'monolithicSparse' | 'streamOptimized';
}

/**
 * Creates `<path>.partial` and returns a writer that turns the disk's bytes into an image of
 * `format`; `finish` renames it to `path`. The sparse formats size the virtual disk in whole
 * sectors: a `sizeBytes` that is not a multiple of 512 becomes the next multiple (the tail reads
 * as zeros). Raw images keep `sizeBytes` exactly.
 */
export async function createImageWriter(
  format: ImageFormat,
  path: string,
  sizeBytes: number,
  options: ImageWriterOptions = {},
): Promise<ImageWriter> {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) {
    throw new HyperkeepError('INVALID_INPUT', `Cannot create a disk image of ${sizeBytes} bytes`);
  }
  const virtualSize = roundUp(sizeBytes, SECTOR);
  // Size limits are checked before a file is created.
  if (format === 'qcow2') Qcow2Writer.checkSize(virtualSize);
  if (format === 'vmdk') VmdkWriter.checkSize(virtualSize);
  if (format === 'vhd') VhdWriter.checkSize(virtualSize);
  if (format === 'vhdx') VhdxWriter.checkSize(virtualSize);
  const file = await PartialFile.create(path, options.overwrite ?? false);
  try {
    switch (format) {
      case 'raw':
        return await RawWriter.create(file, sizeBytes);
      case 'qcow2':
        return Qcow2Writer.create(file, sizeBytes, virtualSize);
      case 'vmdk':
        return options.vmdkSubformat === 'streamOptimized'
          ? VmdkStreamWriter.create(file, sizeBytes, virtualSize)
          : VmdkWriter.create(file, sizeBytes, virtualSize);
      case 'vhd':
        return VhdWriter.create(file, sizeBytes, virtualSize);
      case 'vhdx':
        return VhdxWriter.create(file, sizeBytes, virtualSize);
    }
  } catch (err) {
    await file.discard();
    throw err;
  }
}

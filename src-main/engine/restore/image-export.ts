import type { ImageFormat } from '../../../shared/domain/restore';
import { createImageWriter } from '../formats/writers';
import type { RandomAccessReader } from '../io/random-access';
import { isAllZero } from './file-pieces';

/**
 * Where a volume or disk restore writes: an image file of some format, or a block device.
 * Writes come in increasing offsets; ranges never written read as zeros (holes).
 */
export interface ImageSink {
  write(offset: number, data: Uint8Array): Promise<void>;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

/** A multiple of the image writers' 64 KiB alignment. */
const BLOCK = 4 * 1024 * 1024;
/** Blocks read ahead of the writer: their chunks are fetched from the repository in parallel. */
const BLOCKS_AHEAD = 4;

export interface CopyHooks {
  signal: AbortSignal;
  progress(bytesDone: number): void;
  /** A block device keeps its old bytes: zeros must be written there, not skipped. */
  writeZeros?: boolean;
}

/** Copies every byte of `reader` into `sink`, reading ahead in parallel; aborts the sink on error. */
export async function copyToSink(
  reader: RandomAccessReader,
  sink: ImageSink,
  hooks: CopyHooks,
): Promise<number> {
  const inFlight: { offset: number; data: Promise<Uint8Array> }[] = [];
  let issued = 0;
  const issue = () => {
    while (inFlight.length < BLOCKS_AHEAD && issued < reader.size) {
      const length = Math.min(BLOCK, reader.size - issued);
      const data = reader.read(issued, length);
      data.catch(() => undefined); // awaited below; an abandoned read must not be unhandled
      inFlight.push({ offset: issued, data });
      issued += length;
    }
  };
  try {
    issue();
    // Bounded: each iteration consumes one block.
    while (inFlight.length > 0) {
      if (hooks.signal.aborted) throw hooks.signal.reason;
      const { offset, data: pending } = inFlight.shift()!;
      const data = await pending;
      issue();
      if (hooks.writeZeros || !isAllZero(data)) await sink.write(offset, data);
      hooks.progress(offset + data.length);
    }
    await sink.finish();
    return reader.size;
  } catch (err) {
    await sink.abort().catch(() => undefined);
    throw err;
  }
}

/**
 * The image writer for a format (raw, qcow2, VMDK, VHD, VHDX): `<path>.partial` until finished,
 * then renamed; without overwrite an existing file is refused before anything is written.
 */
export function createImageSink(
  format: ImageFormat,
  path: string,
  sizeBytes: number,
  options: { overwrite: boolean },
): Promise<ImageSink> {
  return createImageWriter(format, path, sizeBytes, { overwrite: options.overwrite });
}

import type { ImageFormat } from '../../../shared/domain/restore';
import { createImageWriter } from '../formats/writers';
import type { RandomAccessReader } from '../io/random-access';
import { SliceReader } from '../io/slice-reader';
import { PointDiskReader } from '../repository/disk-reader';
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
/** Blocks of a restore point's disk: each is one job for a decoding thread. */
const STREAM_BLOCK = 8 * 1024 * 1024;

export interface CopyHooks {
  signal: AbortSignal;
  progress(bytesDone: number): void;
  /** A block device keeps its old bytes: zeros must be written there, not skipped. */
  writeZeros?: boolean;
}

/** Image writers take writes at multiples of 64 KiB (image-writer.ts WRITE_ALIGNMENT). */
const SINK_ALIGNMENT = 64 * 1024;

/**
 * The restore point's disk under `reader` and where `reader` starts in it: the disk itself, or a
 * partition of it whose start suits the sink's alignment (all partitioning tools of the last 15
 * years start at 1 MiB multiples; an old 63-sector partition is read block by block instead).
 */
function storedDisk(reader: RandomAccessReader): { disk: PointDiskReader; start: number } | null {
  if (reader instanceof PointDiskReader) return { disk: reader, start: 0 };
  if (!(reader instanceof SliceReader)) return null;
  const { reader: inner, offset } = reader.container;
  if (inner instanceof PointDiskReader && offset % SINK_ALIGNMENT === 0)
    return { disk: inner, start: offset };
  return null;
}

/**
 * Copies every byte of `reader` into `sink`; aborts the sink on error. A disk of a restore point,
 * or a partition of one, streams its stored blocks only (holes are never read, decoded or
 * written); any other reader is read block by block, ahead in parallel.
 */
export async function copyToSink(
  reader: RandomAccessReader,
  sink: ImageSink,
  hooks: CopyHooks,
): Promise<number> {
  try {
    const stored = storedDisk(reader);
    if (stored) await copyStoredBlocks(stored.disk, stored.start, reader.size, sink, hooks);
    else await copyAllBlocks(reader, sink, hooks);
    await sink.finish();
    return reader.size;
  } catch (err) {
    await sink.abort().catch(() => undefined);
    throw err;
  }
}

async function copyAllBlocks(
  reader: RandomAccessReader,
  sink: ImageSink,
  hooks: CopyHooks,
): Promise<void> {
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
}

const ZERO_BLOCK = new Uint8Array(BLOCK);

/**
 * The disk's stored blocks in [start, start + size) in order, each written (at its offset from
 * `start`) while the next is assembled; one write in flight keeps the sink's order. Gaps are
 * holes, or zeros written for a block device.
 */
async function copyStoredBlocks(
  reader: PointDiskReader,
  start: number,
  size: number,
  sink: ImageSink,
  hooks: CopyHooks,
): Promise<void> {
  const end = start + size;
  let written = 0;
  let writing: Promise<void> = Promise.resolve();
  const zerosUpTo = async (end: number) => {
    // Bounded: each iteration writes one aligned block of zeros.
    while (written < end) {
      const length = Math.min(BLOCK - (written % BLOCK), end - written);
      await sink.write(written, ZERO_BLOCK.subarray(0, length));
      written += length;
      hooks.progress(written);
    }
  };
  try {
    for await (const block of reader.dataBlocks(STREAM_BLOCK, hooks.signal, { start, end })) {
      await writing;
      if (hooks.signal.aborted) throw hooks.signal.reason;
      // A partition's first and last blocks hold bytes of the disk outside it.
      const from = Math.max(block.offset, start);
      const to = Math.min(block.offset + block.data.length, end);
      if (to <= from) {
        block.release();
        continue;
      }
      const data = block.data.subarray(from - block.offset, to - block.offset);
      const at = from - start;
      writing = (async () => {
        if (hooks.writeZeros) await zerosUpTo(at);
        if (hooks.writeZeros || !isAllZero(data)) await sink.write(at, data);
        // The sink has copied or written the bytes once its write resolves.
        block.release();
        written = at + data.length;
        hooks.progress(written);
      })();
      // Settled by the next iteration or below; an error must not go unhandled meanwhile.
      writing.catch(() => undefined);
    }
  } finally {
    await writing;
  }
  if (hooks.writeZeros) await zerosUpTo(size);
  hooks.progress(size);
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

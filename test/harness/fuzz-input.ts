/**
 * What the fixed-budget fuzz tests and the long fuzz run (scripts/fuzz/) share: a seeded random
 * source, an image held in memory, and where a file system image is worth corrupting.
 */
import { HyperkeepError } from '../../shared/errors';
import { openFileSystem } from '../../src-main/engine/filesystems/detect';
import type { RandomAccessReader } from '../../src-main/engine/io/random-access';

/** A small, fast, seedable random source: the same seed replays the same mutations. */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/** The image in memory: mutations cost nothing and nothing touches the disk. */
export class MemoryReader implements RandomAccessReader {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `memory read ${offset}+${length} past ${this.bytes.length}`,
      );
    }
    return this.bytes.slice(offset, offset + length);
  }
  async close(): Promise<void> {}
}

/**
 * Positions worth corrupting in a file system image: non-zero bytes outside file contents
 * (metadata is dense, free space is zeros, file bytes are not parsed). On NTFS only the MFT:
 * mkntfs fills $LogFile with 0xff.
 */
export async function fileSystemMetadataSpots(image: Uint8Array): Promise<Uint32Array> {
  const isFileData = new Uint8Array(image.length);
  const fs = await openFileSystem(new MemoryReader(image));
  for await (const entry of fs.walk()) {
    if (entry.type !== 'file') continue;
    for (const extent of await fs.extents(entry)) {
      if (extent.kind === 'data')
        isFileData.fill(1, extent.volumeOffset, extent.volumeOffset + extent.length);
    }
  }
  let from = 0;
  let to = image.length;
  if (fs.kind === 'ntfs') {
    const boot = new DataView(image.buffer, image.byteOffset);
    from = Number(boot.getBigUint64(0x30, true)) * fs.blockSize;
    to = Math.min(image.length, from + 256 * 1024);
  }
  const out: number[] = [];
  for (let i = from; i < to; i++) if (image[i] !== 0 && isFileData[i] === 0) out.push(i);
  return Uint32Array.from(out);
}

import { promisify } from 'node:util';
import { inflate, inflateRaw, zstdDecompress } from 'node:zlib';

const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);
const zstdDecompressAsync = promisify(zstdDecompress);

export type Codec = 'deflate-raw' | 'zlib' | 'zstd';

/**
 * Decompression of one compressed cluster or grain, on libuv's thread pool so that the clusters
 * of one read decode in parallel and the event loop stays free. The stored bytes are rounded up
 * to whole sectors, so whatever follows the stream is padding; the output may never exceed
 * `maxOutput` (a hostile stream cannot make us allocate more than one cluster). Throws a plain
 * Error with the codec's message; callers wrap it with the image and structure it came from.
 */
export async function decompress(
  codec: Codec,
  input: Uint8Array,
  maxOutput: number,
): Promise<Uint8Array> {
  const maxOutputLength = Math.max(maxOutput, 1);
  // One output chunk as large as the cluster: the codec writes it in one piece, no concatenation.
  const chunkSize = Math.max(maxOutputLength, 64);
  if (codec === 'zstd') {
    const frame = input.subarray(0, zstdFrameLength(input));
    return zstdDecompressAsync(frame, { maxOutputLength, chunkSize });
  }
  // Z_SYNC_FLUSH: a stream cut at the cluster's end still yields what it holds.
  const options = { maxOutputLength, chunkSize, finishFlush: 2 };
  return codec === 'deflate-raw' ? inflateRawAsync(input, options) : inflateAsync(input, options);
}

const ZSTD_MAGIC = 0xfd2fb528;

/**
 * Length of the zstd frame at the start of `b` (RFC 8878 section 3.1.1): zstd refuses trailing
 * padding, so the frame is cut out by walking its block headers.
 */
export function zstdFrameLength(b: Uint8Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 6 || dv.getUint32(0, true) !== ZSTD_MAGIC) throw new Error('no zstd frame magic');
  const descriptor = b[4]!;
  const singleSegment = (descriptor & 0x20) !== 0;
  const checksum = (descriptor & 0x04) !== 0;
  const dictBytes = [0, 1, 2, 4][descriptor & 0x03]!;
  const fcsFlag = descriptor >> 6;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
  let at = 5 + (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
  // Each block header is 3 bytes and each block at least 0 bytes: the loop ends within b.length / 3.
  for (;;) {
    if (at + 3 > b.length) throw new Error('zstd frame truncated');
    const header = b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
    const last = (header & 1) !== 0;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) throw new Error('reserved zstd block type');
    at += 3 + (type === 1 ? 1 : size);
    if (last) break;
  }
  at += checksum ? 4 : 0;
  if (at > b.length) throw new Error('zstd frame truncated');
  return at;
}

import { fsError } from '../binary';

/** NTFS compresses in 4 KiB sub-blocks; each decompresses to exactly this many bytes. */
const SUB_BLOCK = 4096;

/**
 * Decompresses one NTFS compression unit (LZNT1: sub-blocks with a 12-bit length header, flag
 * bytes, and back-references whose offset/length split widens with the position in the
 * sub-block). Output is exactly `outLength` bytes; a short sub-block leaves zeros, as Windows
 * and ntfs-3g read it.
 */
export function decompressLznt1(input: Uint8Array, outLength: number): Uint8Array {
  const out = new Uint8Array(outLength);
  let ip = 0;
  let op = 0;
  while (op < outLength && ip + 2 <= input.length) {
    const header = input[ip]! | (input[ip + 1]! << 8);
    ip += 2;
    if (header === 0) break;
    const chunkEnd = ip + (header & 0x0fff) + 1;
    if (chunkEnd > input.length) {
      throw fsError('NTFS', 'LZNT1 sub-block', `runs past the end of its compression unit`);
    }
    const chunkStart = op;
    const chunkLimit = Math.min(outLength, chunkStart + SUB_BLOCK);
    if ((header & 0x8000) === 0) {
      const take = Math.min(chunkEnd - ip, chunkLimit - op);
      out.set(input.subarray(ip, ip + take), op);
    } else {
      expandSubBlock(input, ip, chunkEnd, out, chunkStart, chunkLimit);
    }
    ip = chunkEnd;
    // Every sub-block stands for a full 4 KiB of output, whatever it decompressed to.
    op = chunkStart + SUB_BLOCK;
  }
  return out;
}

function expandSubBlock(
  input: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  chunkStart: number,
  chunkLimit: number,
): void {
  let ip = start;
  let op = chunkStart;
  while (ip < end && op < chunkLimit) {
    const flags = input[ip++]!;
    for (let bit = 0; bit < 8 && ip < end && op < chunkLimit; bit++) {
      if ((flags & (1 << bit)) === 0) {
        out[op++] = input[ip++]!;
        continue;
      }
      if (ip + 2 > end) throw fsError('NTFS', 'LZNT1 sub-block', 'ends inside a back-reference');
      const token = input[ip]! | (input[ip + 1]! << 8);
      ip += 2;
      const pos = op - chunkStart;
      let lengthBits = 12;
      for (let i = pos - 1; i >= 0x10; i >>= 1) lengthBits--;
      const back = (token >> lengthBits) + 1;
      const length = (token & ((1 << lengthBits) - 1)) + 3;
      if (back > pos) {
        throw fsError('NTFS', 'LZNT1 sub-block', `refers ${back} bytes back from position ${pos}`);
      }
      // Byte by byte on purpose: source and destination overlap for runs of repeated bytes.
      const stop = Math.min(op + length, chunkLimit);
      while (op < stop) {
        out[op] = out[op - back]!;
        op++;
      }
    }
  }
}

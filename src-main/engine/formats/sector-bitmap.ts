/**
 * Length, in sectors, of the run starting at `first` whose bits in `bitmap` all equal the bit of
 * `first`, looking at no more than `maxSectors`. VHD numbers bits from the most significant bit of
 * each byte (`msbFirst`), VHDX from the least significant.
 */
export function bitRun(
  bitmap: Uint8Array,
  first: number,
  maxSectors: number,
  msbFirst: boolean,
): { set: boolean; sectors: number } {
  const bit = (i: number): number =>
    msbFirst ? (bitmap[i >> 3]! >> (7 - (i & 7))) & 1 : (bitmap[i >> 3]! >> (i & 7)) & 1;
  const value = bit(first);
  const whole = value ? 0xff : 0x00;
  let i = first + 1;
  const end = first + maxSectors;
  while (i < end) {
    // Whole bytes at a time once aligned: a fully allocated 2 MiB block is 512 byte compares.
    if ((i & 7) === 0 && i + 8 <= end && bitmap[i >> 3] === whole) {
      i += 8;
      continue;
    }
    if (bit(i) !== value) break;
    i++;
  }
  return { set: value === 1, sectors: i - first };
}

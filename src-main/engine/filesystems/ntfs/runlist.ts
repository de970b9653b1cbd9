import type { ByteView } from '../binary';

/** Clusters [vcn, vcn + length) of an attribute stored at lcn, or sparse (lcn null). */
export interface Run {
  vcn: number;
  lcn: number | null;
  length: number;
}

/**
 * Decodes NTFS mapping pairs: per run a header byte (low nibble: size of the length field, high
 * nibble: size of the offset field), the cluster count, and the start cluster as a signed delta
 * from the previous run. No offset field means a sparse run.
 */
export function decodeRunList(
  v: ByteView,
  start: number,
  end: number,
  lowestVcn: number,
  clusterCount: number,
): Run[] {
  const runs: Run[] = [];
  let pos = start;
  let vcn = lowestVcn;
  let lcn = 0;
  // Every run consumes at least two bytes, so the loop ends within (end - start) / 2 steps.
  while (pos < end) {
    const header = v.u8(pos);
    if (header === 0) break;
    const lengthBytes = header & 0x0f;
    const offsetBytes = header >> 4;
    if (
      lengthBytes === 0 ||
      lengthBytes > 8 ||
      offsetBytes > 8 ||
      pos + 1 + lengthBytes + offsetBytes > end
    ) {
      throw v.fail(`has a broken run list entry (header 0x${header.toString(16)}) at byte ${pos}`);
    }
    const length = readUnsigned(v, pos + 1, lengthBytes);
    if (length <= 0 || !Number.isSafeInteger(vcn + length)) {
      throw v.fail(`has a run of ${length} clusters at byte ${pos}`);
    }
    if (offsetBytes === 0) {
      runs.push({ vcn, lcn: null, length });
    } else {
      lcn += readSigned(v, pos + 1 + lengthBytes, offsetBytes);
      if (lcn < 0 || lcn + length > clusterCount) {
        throw v.fail(
          `has a run at clusters ${lcn}..${lcn + length}, outside the volume (${clusterCount})`,
        );
      }
      runs.push({ vcn, lcn, length });
    }
    vcn += length;
    pos += 1 + lengthBytes + offsetBytes;
  }
  return runs;
}

function readUnsigned(v: ByteView, at: number, count: number): number {
  let value = 0;
  for (let i = count - 1; i >= 0; i--) value = value * 256 + v.u8(at + i);
  return value;
}

function readSigned(v: ByteView, at: number, count: number): number {
  const value = readUnsigned(v, at, count);
  return v.u8(at + count - 1) & 0x80 ? value - 2 ** (8 * count) : value;
}

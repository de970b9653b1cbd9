import { mapLimit } from '../io/map-limit';

/** A stretch of the volume wanted ahead of its use, named by `key`. */
export interface WantedRange<K> {
  key: K;
  offset: number;
  length: number;
}

export interface ReadAheadOptions {
  /** Two ranges closer than this are read together, with the bytes between them. */
  mergeGap: number;
  /** The largest single read. */
  maxRead: number;
  /** Reads on the wire at once (over NBD a round trip costs more than a small read). */
  inFlight: number;
}

/**
 * Reads `ranges` in disk order, neighbours together, several reads at a time, and returns each
 * range's bytes (a copy, so one kept range does not hold its whole read) by key. A promise settles
 * when its read does; a failed read fails only its ranges, and no rejection goes unhandled (the
 * caller reads again where it matters, or awaits and reports).
 */
export function readAhead<K>(
  read: (offset: number, length: number) => Promise<Uint8Array>,
  ranges: readonly WantedRange<K>[],
  options: ReadAheadOptions,
): Map<K, Promise<Uint8Array>> {
  const sorted = [...ranges].sort((a, b) => a.offset - b.offset);
  const reads: { offset: number; end: number; ranges: WantedRange<K>[] }[] = [];
  for (const range of sorted) {
    const last = reads.at(-1);
    const end = range.offset + range.length;
    if (
      last &&
      range.offset - last.end <= options.mergeGap &&
      Math.max(end, last.end) - last.offset <= options.maxRead
    ) {
      last.end = Math.max(last.end, end);
      last.ranges.push(range);
    } else reads.push({ offset: range.offset, end, ranges: [range] });
  }
  const out = new Map<K, Promise<Uint8Array>>();
  const settle = new Map<K, { resolve: (b: Uint8Array) => void; reject: (e: unknown) => void }>();
  for (const range of sorted) {
    if (out.has(range.key)) continue;
    const bytes = new Promise<Uint8Array>((resolve, reject) =>
      settle.set(range.key, { resolve, reject }),
    );
    bytes.catch(() => undefined);
    out.set(range.key, bytes);
  }
  void mapLimit(reads, options.inFlight, async (r) => {
    try {
      const bytes = await read(r.offset, r.end - r.offset);
      for (const range of r.ranges) {
        const from = range.offset - r.offset;
        settle.get(range.key)?.resolve(bytes.slice(from, from + range.length));
      }
    } catch (err) {
      for (const range of r.ranges) settle.get(range.key)?.reject(err);
    }
  });
  return out;
}

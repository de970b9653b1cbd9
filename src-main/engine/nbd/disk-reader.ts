import { HyperkeepError } from '../../../shared/errors';
import type { RandomAccessReader } from '../io/random-access';
import type { NbdClient } from './client';
import {
  BASE_ALLOCATION,
  dirtyBitmapContext,
  isDirty,
  iterateExtents,
  requireContext,
} from './extents';
import { STATE_ZERO } from './protocol';

/**
 * An NBD export as a RandomAccessReader, so format, partition and file system readers can stack
 * on a disk being backed up. Reads of any size and alignment are split into requests the server
 * accepts and sent together (the client bounds how many are on the wire).
 */
export class NbdDiskReader implements RandomAccessReader {
  constructor(readonly client: NbdClient) {}

  get size(): number {
    return this.client.size;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const { client } = this;
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0
    ) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Invalid read of ${length} bytes at offset ${offset}`,
      );
    }
    if (offset + length > client.size) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Read of ${length} bytes at offset ${offset} runs past the end of the ${client.size}-byte NBD export`,
      );
    }
    if (length === 0) return new Uint8Array(0);
    // Widen to the server's minimum block size; the extra bytes are cut off below.
    const align = client.minimumBlockSize;
    const start = offset - (offset % align);
    const end = Math.min(Math.ceil((offset + length) / align) * align, client.size);
    const step = client.maxRequestBytes;
    if (end - start <= step) {
      const data = await client.read(start, end - start);
      return start === offset && data.length === length
        ? data
        : data.subarray(offset - start, offset - start + length);
    }
    const out = new Uint8Array(length);
    const parts: Promise<void>[] = [];
    for (let at = start; at < end; at += step) {
      const pieceEnd = Math.min(at + step, end);
      parts.push(
        client.read(at, pieceEnd - at).then((data) => {
          const from = Math.max(offset, at);
          const to = Math.min(offset + length, pieceEnd);
          out.set(data.subarray(from - at, to - at), from - offset);
        }),
      );
    }
    await settleAll(parts);
    return out;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Like Promise.all, but never leaves a rejection unhandled when several parts fail. */
async function settleAll(parts: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(parts);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export interface ChangedRangesOptions {
  /** Read only blocks dirty in `qemu:dirty-bitmap:<bitmap>` (incremental); default: allocated. */
  bitmap?: string;
  /** Largest piece yielded; pieces never cross a multiple of it. Default 4 MiB. */
  chunk?: number;
  /** READs in flight at once (also bounded by the client's maxInFlight). Default 8. */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface ChangedRange {
  offset: number;
  data: Uint8Array;
}

/** Ranges worth reading: contiguous runs of the selected extents. */
async function* selectedRuns(
  client: NbdClient,
  options: ChangedRangesOptions,
): AsyncGenerator<{ offset: number; length: number }> {
  const context =
    options.bitmap === undefined ? BASE_ALLOCATION : dirtyBitmapContext(options.bitmap);
  requireContext(client, context);
  // Full backup: skip what the server says reads as zeros. A hole without the zero flag has
  // undefined content per the spec; we still read it rather than risk dropping data.
  const wanted =
    options.bitmap === undefined ? (flags: number) => (flags & STATE_ZERO) === 0 : isDirty;
  let run: { offset: number; length: number } | undefined;
  for await (const extent of iterateExtents(client, { context, signal: options.signal })) {
    if (!wanted(extent.flags)) continue;
    if (run && run.offset + run.length === extent.offset) run.length += extent.length;
    else {
      if (run) yield run;
      run = { offset: extent.offset, length: extent.length };
    }
  }
  if (run) yield run;
}

/**
 * What a backup consumes: the allocated (or, with `bitmap`, the changed) data of the export as
 * {offset, data} pieces in ascending order, skipping everything else. Several READs are in flight
 * while the consumer works on earlier pieces; stopping the iteration cancels the rest.
 */
export async function* readChangedRanges(
  client: NbdClient,
  options: ChangedRangesOptions = {},
): AsyncGenerator<ChangedRange> {
  const align = client.minimumBlockSize;
  const requested = options.chunk ?? 4 * 1024 * 1024;
  if (!Number.isSafeInteger(requested) || requested <= 0) {
    throw new HyperkeepError('INVALID_INPUT', `Chunk size ${requested} is not a positive integer`);
  }
  const capped = Math.min(requested, client.maxRequestBytes);
  const chunk = Math.max(align, capped - (capped % align));
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const inFlight: { offset: number; data: Promise<Uint8Array> }[] = [];
  try {
    for await (const run of selectedRuns(client, options)) {
      const end = run.offset + run.length;
      for (let at = run.offset; at < end;) {
        const pieceEnd = Math.min(end, (Math.floor(at / chunk) + 1) * chunk);
        const data = client.read(at, pieceEnd - at, { signal: stop.signal });
        data.catch(() => undefined); // awaited below in order; never unhandled meanwhile
        inFlight.push({ offset: at, data });
        at = pieceEnd;
        while (inFlight.length >= concurrency) {
          const head = inFlight.shift();
          if (head) yield { offset: head.offset, data: await head.data };
        }
      }
    }
    for (let head = inFlight.shift(); head; head = inFlight.shift()) {
      yield { offset: head.offset, data: await head.data };
    }
    if (options.signal?.aborted) {
      throw new HyperkeepError('CANCELLED', 'Reading the NBD export was cancelled');
    }
  } finally {
    stop.abort();
    options.signal?.removeEventListener('abort', onAbort);
  }
}

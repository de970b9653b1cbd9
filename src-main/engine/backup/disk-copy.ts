import { HyperkeepError } from '../../../shared/errors';
import { dataPathTimings } from '../repository/data-path-timings';
import type { DiskWriter } from '../repository/disk-writer';
import type { ReadRateLimit } from './read-rate-limit';

/**
 * What to do with one range of a disk: read it from the hypervisor, reuse the parent point's
 * chunks (unchanged since the parent), or record it as reading zeros.
 */
export interface CopyStep {
  kind: 'read' | 'copy' | 'hole';
  offset: number;
  length: number;
}

export interface CopyDiskOptions {
  writer: DiskWriter;
  /** Sorted, non-overlapping, covering the whole disk. */
  steps: CopyStep[];
  read(offset: number, length: number, signal: AbortSignal): Promise<Uint8Array>;
  /** Largest single read; reads never cross a multiple of it, so chunking stays aligned. */
  pieceBytes: number;
  /** Reads in flight at once. */
  concurrency: number;
  /** Required when steps contain 'copy'. */
  parentPointId?: string;
  signal: AbortSignal;
  onRead(bytes: number): void;
  /** The writer is done with a read's buffer: the reader may fill it again. */
  release?(data: Uint8Array): void;
  /** The VM's read rate ceiling, shared by its disks; none when absent. */
  rateLimit?: ReadRateLimit | undefined;
}

/** Sum of the lengths of the steps of one kind. */
export function stepBytes(steps: readonly CopyStep[], kind: CopyStep['kind']): number {
  let n = 0;
  for (const s of steps) if (s.kind === kind) n += s.length;
  return n;
}

/** Splits read steps into pieces of at most `pieceBytes` that do not cross a multiple of it. */
function pieces(steps: readonly CopyStep[], pieceBytes: number): CopyStep[] {
  const out: CopyStep[] = [];
  for (const step of steps) {
    if (step.kind !== 'read') {
      out.push(step);
      continue;
    }
    const end = step.offset + step.length;
    for (let at = step.offset; at < end;) {
      const next = Math.min(end, (Math.floor(at / pieceBytes) + 1) * pieceBytes);
      out.push({ kind: 'read', offset: at, length: next - at });
      at = next;
    }
  }
  return out;
}

/**
 * Feeds a disk into the repository in offset order while up to `concurrency` reads run ahead:
 * the hypervisor keeps streaming while chunking, hashing and sealing work on earlier data.
 * Stopping (error or cancel) leaves no read unobserved.
 */
export async function copyDisk(options: CopyDiskOptions): Promise<{ readBytes: number }> {
  const { writer, signal } = options;
  const all = pieces(options.steps, options.pieceBytes);
  const reads = all.filter((s) => s.kind === 'read');
  const inFlight = new Map<CopyStep, Promise<Uint8Array>>();
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let issued = 0;
  let consumed = 0;
  let readBytes = 0;
  const issueAhead = (): void => {
    while (issued < reads.length && issued - consumed < Math.max(1, options.concurrency)) {
      const step = reads[issued++]!;
      const { rateLimit } = options;
      const data = rateLimit
        ? rateLimit
            .take(step.length, stop.signal)
            .then(() => options.read(step.offset, step.length, stop.signal))
        : options.read(step.offset, step.length, stop.signal);
      data.catch(() => undefined); // awaited in order below; never unhandled meanwhile
      inFlight.set(step, data);
    }
  };
  try {
    for (const step of all) {
      if (signal.aborted) throw new HyperkeepError('CANCELLED', 'The backup was cancelled');
      if (step.kind === 'hole') {
        writer.markHole(step.offset, step.length);
      } else if (step.kind === 'copy') {
        if (options.parentPointId === undefined) {
          throw new HyperkeepError('INTERNAL', 'An incremental copy step has no parent point');
        }
        await writer.copyExtentFrom(options.parentPointId, step.offset, step.length);
      } else {
        issueAhead();
        const pending = inFlight.get(step)!;
        inFlight.delete(step);
        const waitStart = performance.now();
        const data = await pending;
        dataPathTimings.readWaitMs += performance.now() - waitStart;
        consumed++;
        issueAhead();
        if (data.length !== step.length) {
          throw new HyperkeepError(
            'HYPERVISOR_ERROR',
            `Read ${data.length} bytes at offset ${step.offset} of disk ${writer.name}, expected ${step.length}`,
          );
        }
        await writer.writeExtent(step.offset, data);
        readBytes += data.length;
        options.onRead(data.length);
        options.release?.(data);
      }
    }
  } finally {
    stop.abort();
    signal.removeEventListener('abort', onAbort);
    await Promise.allSettled(inFlight.values());
  }
  return { readBytes };
}

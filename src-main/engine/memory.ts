import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options?: { type?: string; execution?: string; flavor?: string }) => void;

let gcFunction: GcFunction | null | undefined;

/**
 * V8's gc(), obtained at run time the way Node's v8.setFlagsFromString documentation shows
 * (--expose-gc, then a fresh context's global `gc`). Null where the runtime refuses.
 */
function v8Gc(): GcFunction | null {
  if (gcFunction !== undefined) return gcFunction;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    gcFunction = typeof gc === 'function' ? (gc as GcFunction) : null;
  } catch {
    gcFunction = null;
  }
  return gcFunction;
}

/**
 * Gives the memory of a finished allocation-heavy phase back to the system. A file-system walk
 * allocates ~1 GB of short-lived objects; V8 sizes its heap to that churn and keeps the pages
 * (measured after the bench disk's 66k files: heapTotal 211 MB for 14 MB live, RssAnon 267 MB)
 * until an idle period that a busy engine may never have. A "last resort" collection compacts
 * and shrinks the heap at once (heapTotal 15 MB, RssAnon 57 MB), for tens of milliseconds.
 */
export function releaseMemory(): void {
  try {
    v8Gc()?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    // Only an optimisation: a runtime without these options keeps its heap as before.
  }
}

/**
 * One ordinary full collection (~10-20 ms for the engine's usual heap), for memory that only a
 * collection frees and that an idle thread would keep for minutes: buffers other threads have
 * let go of. Unlike releaseMemory it does not shrink the heap, and costs far less.
 */
export function collectGarbage(): void {
  try {
    v8Gc()?.({ type: 'major', execution: 'sync' });
  } catch {
    // As releaseMemory: only an optimisation.
  }
}

/** V8's default --semi-space-growth-factor: the young generation doubles when it grows. */
const DEFAULT_SEMI_SPACE_GROWTH = 2;
let smallYoungGeneration = 0;

/**
 * Runs `phase` with V8's young generation kept from growing (in every thread of the process).
 * A file-system walk allocates at a rate that makes V8 grow the engine thread's young
 * generation to 128 MB (it holds ~10 MB live); kept at its size, the heap stays ~100 MB smaller
 * for a few percent more collection work. The growth factor is the one heap setting V8 reads
 * while running: --max-semi-space-size only counts at start, which an Electron main process
 * cannot be given. Phases may overlap; the last one to end restores the default.
 */
export async function withSmallYoungGeneration<T>(phase: () => Promise<T>): Promise<T> {
  if (smallYoungGeneration++ === 0) setGrowth(1);
  try {
    return await phase();
  } finally {
    if (--smallYoungGeneration === 0) setGrowth(DEFAULT_SEMI_SPACE_GROWTH);
  }
}

function setGrowth(factor: number): void {
  try {
    setFlagsFromString(`--semi-space-growth-factor=${factor}`);
  } catch {
    // Only an optimisation.
  }
}

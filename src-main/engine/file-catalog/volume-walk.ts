import { HyperkeepError, toErrorData } from '../../../shared/errors';
import type { PointVolume } from '../../../shared/domain/files';
import type { FileSystem, FsEntry } from '../filesystems/filesystem';
import { BIG_FOLDER_ENTRIES, type PointIngest } from './catalog-ingest';
import type { CatalogPointOptions } from './catalog-point';
import { catalogExtents, recordOf, type CatalogRecord } from './catalog-record';
import type { VolumeIngestWorker } from './ingest-worker';
import type { PointIndexEncoder } from './point-index-object';
import { FullWalkBasis } from './volume-delta-walk';

/**
 * The catalog writes run on a worker thread (VolumeIngestWorker) in batches of OFF_THREAD_BATCH:
 * the engine's thread walks and encodes, and yields to the event loop at least every SLICE_MS,
 * so other work (API requests, the UI, other jobs) waits at most a few tens of milliseconds.
 * Without the worker (an in-memory catalog) they run here, between the walk's reads: each batch
 * is one transaction sized so it takes about FLUSH_BUDGET_MS (measured as it goes: a slow disk or
 * a busy machine gets smaller batches).
 */
const FLUSH_BUDGET_MS = 10;
const SLICE_MS = 10;
const FIRST_BATCH = 250;
const MIN_BATCH = 100;
const MAX_BATCH = 5000;
/**
 * Records per batch written by the worker: larger transactions cost less per record (measured on
 * a 70k-file ingest: 2000 a third less than 250), and one stays short enough (tens of ms) that a
 * write of the engine's thread waiting for it is not noticed.
 */
const OFF_THREAD_BATCH = 2000;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function messageOf(err: unknown): string {
  return toErrorData(err).message;
}

function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** One volume's walk: where its records go, and what it reports into. */
export interface VolumeWalk {
  fs: FileSystem;
  ingest: PointIngest;
  encoder: PointIndexEncoder;
  /** The volume's position in the point's volume list (its index in the file index object). */
  slot: number;
  volume: PointVolume;
  warnings: string[];
  options: CatalogPointOptions;
}

/**
 * Walks a volume whole into the catalog and the point's file index; returns its file count and,
 * for ext, the basis the next point's delta walk starts from (null when there is none).
 */
export async function walkVolume(
  walk: VolumeWalk,
): Promise<{ files: number; basis: Uint8Array | null }> {
  const offThread = walk.ingest.beginVolumeOffThread(walk.volume.name);
  const basis = new FullWalkBasis(walk.fs);
  try {
    const files = await walkInto(walk, offThread, basis);
    return { files, basis: await basis.finish() };
  } catch (err) {
    basis.abandon();
    await offThread?.abort();
    throw err;
  }
}

async function walkInto(
  { fs, ingest, encoder, slot, volume, warnings, options }: VolumeWalk,
  offThread: VolumeIngestWorker | null,
  basis: FullWalkBasis,
): Promise<number> {
  const writer = offThread ? null : ingest.beginVolume(volume.name);
  const dirs = new Map<string, number>();
  let position = 0;
  let files = 0;
  let batch: CatalogRecord[] = [];
  let batchLimit = offThread ? OFF_THREAD_BATCH : FIRST_BATCH;
  /** Per-record write cost, following increases at once and decreases slowly (commits vary). */
  let costMs = 0;
  let skippedDirs = 0;
  let noExtents = 0;
  let sliceStart = performance.now();
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    if (offThread) {
      await offThread.add(`[${encoder.add(slot, records).join(',')}]`);
    } else {
      const began = performance.now();
      writer!.add(records);
      encoder.add(slot, records);
      costMs = Math.max((performance.now() - began) / records.length, costMs * 0.8);
      batchLimit = Math.round(
        Math.min(MAX_BATCH, Math.max(MIN_BATCH, FLUSH_BUDGET_MS / Math.max(costMs, 1e-3))),
      );
    }
    options.onProgress?.({
      volume: volume.name,
      files,
      entries: position,
      ...(fs.entriesInUse ? { expected: fs.entriesInUse } : {}),
    });
  };
  const folders = fs.walkFolders({
    onDirectoryError: (dir: FsEntry, err: unknown) => {
      basis.folderFailed(dir);
      if (skippedDirs++ < 5)
        warnings.push(`${volume.name}${dir.path}: folder skipped (${messageOf(err)})`);
      return true;
    },
  });
  // A folder at a time: awaiting the walk once per file cost more than the rest of its work.
  for await (const entries of folders) {
    // One folder's listing: the same parent for all (the root comes alone, without one).
    const first = entries[0];
    if (!first) continue;
    const parent = first.path === '/' ? -1 : dirs.get(parentPath(first.path));
    if (parent === undefined) continue; // the walk yields parents first; anything else is skipped
    basis.addListing(entries, first.path === '/' ? null : parentPath(first.path));
    for (const entry of entries) {
      const extents = await catalogExtents(fs, entry);
      if (extents === undefined) noExtents++;
      if (entry.type === 'dir') dirs.set(entry.path, position);
      else files++;
      batch.push(recordOf(fs.kind, entry, parent, extents ?? null));
      position++;
      const full = batch.length >= batchLimit;
      // Checking the clock every 64 records keeps its cost out of the per-file path.
      if (full || (position & 63) === 0) {
        if (full || performance.now() - sliceStart >= SLICE_MS) {
          if (options.signal?.aborted)
            throw new HyperkeepError('CANCELLED', 'Cataloging was cancelled');
          if (full) await flush();
          // Metadata often comes from cached chunks, so the walk itself may never wait on I/O.
          await yieldToEventLoop();
          sliceStart = performance.now();
        }
      }
    }
  }
  await flush();
  if (skippedDirs > 5)
    warnings.push(`${volume.name}: ${skippedDirs} folders in all could not be read`);
  if (noExtents > 0)
    warnings.push(`${volume.name}: the data location of ${noExtents} file(s) could not be read`);
  if (!offThread) return writer!.files;
  ingest.addFolderSizes(await offThread.finish(BIG_FOLDER_ENTRIES));
  return offThread.files;
}

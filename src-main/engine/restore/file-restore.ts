import type { FileHandle } from 'node:fs/promises';
import type { FileRestoreRequest } from '../../../shared/domain/restore';
import { HyperkeepError } from '../../../shared/errors';
import { filePieces, isAllZero } from './file-pieces';
import type { PointFileSource } from './point-file-source';
import { planRestore, type PlannedItem, type SkippedItem } from './restore-plan';
import { SafeDestination, SkipItem, type ItemMeta, type PlaceResult } from './safe-destination';
import { printableName } from './safe-names';

export type FileRestoreSettings = Pick<
  FileRestoreRequest,
  | 'paths'
  | 'dest'
  | 'conflict'
  | 'pathMode'
  | 'restoreTimestamps'
  | 'restorePermissions'
  | 'restoreOwnership'
>;

export interface FileRestoreHooks {
  signal: AbortSignal;
  progress(update: { phase?: string; bytesDone?: number; bytesTotal?: number }): void;
  log(line: string): void;
}

export interface FileRestoreResult {
  dest: string;
  files: number;
  folders: number;
  symlinks: number;
  bytes: number;
  /** Items not restored, by browse path, with the reason (hostile names, conflicts, errors). */
  skipped: SkippedItem[];
  /** Items that failed with an error (a subset of `skipped`); the job fails when there are any. */
  failed: number;
  notes: string[];
}

/** Files restored at once: small files are latency-bound, so several overlap their reads. */
const PARALLEL_FILES = 4;

/**
 * The empty result of a file restore (to a folder or into a guest) with the plan's skipped
 * items logged, and how to skip (or fail) an item: recorded by name and reason, and logged.
 */
export function startFileRestore(
  dest: string,
  planSkipped: readonly FileRestoreResult['skipped'][number][],
  notes: string[],
  log: (line: string) => void,
): {
  result: FileRestoreResult;
  skip: (item: PlannedItem, reason: string, failed?: boolean) => void;
} {
  const result: FileRestoreResult = {
    dest,
    files: 0,
    folders: 0,
    symlinks: 0,
    bytes: 0,
    skipped: [...planSkipped],
    failed: 0,
    notes,
  };
  for (const s of planSkipped) log(`Skipped ${s.path}: ${s.reason}`);
  const skip = (item: PlannedItem, reason: string, failed = false): void => {
    result.skipped.push({ path: printableName(item.entry.path), reason });
    if (failed) result.failed++;
    log(`${failed ? 'Failed' : 'Skipped'} ${printableName(item.entry.path)}: ${reason}`);
  };
  return { result, skip };
}

/**
 * FIG. 12 file restore to a folder of this host: plan (names checked, path mode applied), create
 * the folders, write files and symlinks through SafeDestination with reads prefetched, then set
 * the folders' permissions and times.
 */
export async function restoreFilesToFolder(
  source: PointFileSource,
  settings: FileRestoreSettings,
  hooks: FileRestoreHooks,
): Promise<FileRestoreResult> {
  hooks.progress({ phase: 'listing' });
  const plan = await planRestore(source, {
    paths: settings.paths,
    pathMode: settings.pathMode,
    windowsDestination: process.platform === 'win32',
    allowSameTarget: settings.conflict === 'rename',
    signal: hooks.signal,
  });
  const dest = await SafeDestination.open(settings.dest, settings.conflict, {
    timestamps: settings.restoreTimestamps,
    permissions: settings.restorePermissions,
    ownership: settings.restoreOwnership,
  });
  const { result, skip } = startFileRestore(settings.dest, plan.skipped, dest.notes, hooks.log);
  hooks.progress({ phase: 'writing', bytesTotal: plan.totalBytes, bytesDone: 0 });

  let bytesDone = 0;
  const guarded = async (item: PlannedItem, work: () => Promise<PlaceResult | 'done'>) => {
    try {
      const outcome = await work();
      if (outcome !== 'done' && 'skipped' in outcome) skip(item, outcome.skipped);
      return outcome !== 'done' && 'placed' in outcome;
    } catch (err) {
      if (hooks.signal.aborted) throw hooks.signal.reason;
      if (err instanceof SkipItem) skip(item, err.message);
      else if ((err as NodeJS.ErrnoException).code === 'ENOSPC')
        throw new HyperkeepError(
          'INTERNAL',
          `The destination ${settings.dest} is full; free space and restore again.`,
          { reason: 'NO_SPACE' },
        );
      else skip(item, (err as Error).message, true);
      return false;
    }
  };

  // Folders first, in order, so their files never race to create them.
  for (const item of plan.items) {
    if (item.entry.type !== 'dir') continue;
    if (hooks.signal.aborted) throw hooks.signal.reason;
    await guarded(item, async () => {
      await dest.directory(item.target, metaOf(item));
      result.folders++;
      return 'done';
    });
  }

  const leaves = plan.items.filter((i) => i.entry.type !== 'dir');
  let next = 0;
  // The first fatal error (full disk, cancel) stops every worker before its next file, so no
  // file is written after the job has ended.
  let stopped = false;
  const worker = async () => {
    // Bounded: each iteration takes one item off the shared list.
    while (next < leaves.length && !stopped) {
      if (hooks.signal.aborted) throw hooks.signal.reason;
      const item = leaves[next++]!;
      const { entry } = item;
      if (entry.type === 'symlink') {
        if (
          await guarded(item, () =>
            dest.writeSymlink(item.target, entry.symlinkTarget ?? '', metaOf(item)),
          )
        )
          result.symlinks++;
        continue;
      }
      let written = 0;
      const placed = await guarded(item, () =>
        dest.writeFile(item.target, metaOf(item), async (file) => {
          for await (const piece of filePieces(source, entry, hooks.signal)) {
            // Zero pieces stay holes: the truncate below gives the file its size.
            if (!isAllZero(piece.data)) await writeFully(file, piece.data, piece.offset);
            written += piece.data.length;
            bytesDone += piece.data.length;
            hooks.progress({ bytesDone });
          }
          await file.truncate(entry.size);
        }),
      );
      // Holes and skipped files count as done so the bar reaches its end.
      bytesDone += entry.size - written;
      hooks.progress({ bytesDone });
      if (placed) {
        result.files++;
        result.bytes += entry.size;
      }
    }
  };
  const outcomes = await Promise.allSettled(
    Array.from({ length: PARALLEL_FILES }, () =>
      worker().catch((err: unknown) => {
        stopped = true;
        throw err;
      }),
    ),
  );
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  hooks.progress({ phase: 'finishing' });
  await dest.finishDirectories();
  return result;
}

/** pwrite may write less than asked (signals, quotas): loop until the piece is down. */
async function writeFully(file: FileHandle, data: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

function metaOf(item: PlannedItem): ItemMeta {
  const e = item.entry;
  return {
    ...(e.mode !== undefined ? { mode: e.mode } : {}),
    ...(e.uid !== undefined ? { uid: e.uid } : {}),
    ...(e.gid !== undefined ? { gid: e.gid } : {}),
    ...(e.mtime ? { mtime: e.mtime } : {}),
    ...(e.atime ? { atime: e.atime } : {}),
  };
}

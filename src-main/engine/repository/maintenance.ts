import { HyperkeepError } from '../../../shared/errors';
import { RepoKeys } from './backend';
import { deleteOrphanFileIndexes } from './file-index';
import { FormatError } from './binary';
import { ChunkIndex, encodeIndexFile, type PackRecord } from './chunk-index';
import { RepositoryLock } from './locks';
import { deleteOrphanHolds, listHolds } from './point-holds';
import { GC_READERS_WAIT_MS } from './read-gate';
import {
  FOOTER_BYTES,
  PackBuilder,
  packIdOf,
  parsePackFooter,
  parsePackTrailer,
  type BlobEntry,
} from './pack-format';
import type { RepositoryCore } from './repository-core';
import { SealError } from './sealing';
import { selectRetention, type RetentionDecision, type RetentionPolicy } from './retention';

export interface PruneOptions {
  policy: RetentionPolicy;
  /** Time zone for daily/weekly/… buckets; defaults to this machine's. */
  timeZone?: string;
  dryRun?: boolean;
  lockWaitMs?: number;
}

export interface PruneResult {
  decisions: RetentionDecision[];
  removed: string[];
}

/**
 * Forgets the restore points the policy does not keep (per VM). Only manifests are removed; the
 * space comes back with gc. A shared lock suffices: a running backup that uses a removed point as
 * its parent keeps its chunks alive, because gc cannot run until that backup has finished.
 */
export async function prunePoints(
  core: RepositoryCore,
  options: PruneOptions,
): Promise<PruneResult> {
  const lock = await RepositoryLock.acquire(core.backend, 'shared', 'prune', {
    waitMs: options.lockWaitMs ?? 0,
  });
  try {
    // Protected points are out of the retention's reach: kept, and not counted by its rules.
    const holds = await listHolds(core);
    const manifests = await Promise.all(
      (await core.listPointIds()).filter((id) => !holds.has(id)).map((id) => core.loadManifest(id)),
    );
    const decisions = selectRetention(
      manifests.map((m) => ({ id: m.id, time: new Date(m.startedAt), group: m.vm.uuid })),
      options.policy,
      options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    );
    const removed = decisions.filter((d) => !d.keep).map((d) => d.id);
    if (!options.dryRun) {
      for (const id of removed) {
        await core.backend.delete(RepoKeys.snapshot(id));
        await core.backend.delete(RepoKeys.fileIndex(id));
        core.forgetManifest(id);
      }
    }
    return { decisions, removed };
  } finally {
    await lock.release();
  }
}

export interface GcOptions {
  /** Rewrite a pack when at least this fraction of its bytes is unreferenced (default 0.3). */
  repackThreshold?: number;
  lockWaitMs?: number;
  /** How long to wait for the restores reading in this process (default GC_READERS_WAIT_MS). */
  readersWaitMs?: number;
  /** Told what is reading when gc starts waiting for it. */
  onWaitForReaders?: (readers: string[]) => void;
  /** Told what holds the repository (a backup…) when gc starts waiting for its lock. */
  onWaitForLock?: (holders: string[]) => void;
  /** Stops the waiting (the job was cancelled); gc itself, once begun, runs to its end. */
  signal?: AbortSignal;
}

export interface GcResult {
  deletedPacks: number;
  repackedPacks: number;
  /** Packs no index named: left by backups that crashed before indexing them. */
  orphanPacks: number;
  freedBytes: number;
  removedIncompleteWrites: number;
}

/**
 * Deletes what no restore point references. Crash order: new packs → new consolidated index →
 * old index files deleted → old packs deleted; a crash anywhere leaves every point readable and
 * the next gc finishes.
 *
 * It needs the repository to itself: the exclusive lock (a running backup may reference chunks
 * no committed point references yet) and no restore reading in this process (core.readGate).
 * It waits for both without holding either meanwhile, so a prune waiting for a long backup
 * never holds a restore back, nor a backup waiting for a restore: it takes the lock when no
 * reader is open, and lets go and waits again should a reader have opened in between. It gives
 * up at `lockWaitMs` (default 0: refuse while a backup runs) or `readersWaitMs`, with a message
 * naming what held it, or when `signal` aborts.
 */
export async function collectGarbage(
  core: RepositoryCore,
  options: GcOptions = {},
): Promise<GcResult> {
  const began = Date.now();
  const lockDeadline = began + (options.lockWaitMs ?? 0);
  const readersDeadline = began + (options.readersWaitMs ?? GC_READERS_WAIT_MS);
  let toldLock = false;
  for (;;) {
    await core.readGate.idle({
      deadline: readersDeadline,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onWaitForReaders ? { onWait: options.onWaitForReaders } : {}),
    });
    let lock: RepositoryLock;
    try {
      lock = await RepositoryLock.acquire(core.backend, 'exclusive', 'gc');
    } catch (err) {
      const holders = lockHolders(err);
      if (!holders || Date.now() >= lockDeadline) throw err;
      if (!toldLock) options.onWaitForLock?.(holders);
      toldLock = true;
      await sleep(Math.min(GC_LOCK_POLL_MS, lockDeadline - Date.now()), options.signal);
      continue;
    }
    try {
      const run = core.readGate.tryExclusive(() => runGc(core, options.repackThreshold ?? 0.3));
      if (run) return await run;
    } finally {
      await lock.release();
    }
  }
}

/** How often a waiting gc looks at the repository's locks again. */
const GC_LOCK_POLL_MS = 2_000;

/** What holds the repository, when `err` is the lock refusing gc; null for any other error. */
function lockHolders(err: unknown): string[] | null {
  if (!(err instanceof HyperkeepError) || err.details?.['reason'] !== 'REPOSITORY_LOCKED')
    return null;
  const holders = err.details['holders'];
  return Array.isArray(holders)
    ? holders.map((h: { operation?: string }) => h.operation ?? 'another operation')
    : [];
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}

async function referencedBlobs(core: RepositoryCore): Promise<Set<string>> {
  const live = new Set<string>();
  for (const id of await core.listPointIds()) {
    // Any unreadable manifest or map aborts gc: deleting on a partial picture could lose data.
    const m = await core.loadManifest(id, true);
    for (const disk of m.disks) {
      live.add(disk.map);
      const map = await core.loadDiskMapBlob(disk.map, `disk map of ${disk.name} in point ${id}`);
      for (const run of map.runs) live.add(run.chunk);
    }
  }
  return live;
}

async function runGc(core: RepositoryCore, repackThreshold: number): Promise<GcResult> {
  const { backend } = core;
  const index = await ChunkIndex.refresh(new ChunkIndex(), backend, core.seal);
  const live = await referencedBlobs(core);
  const onDisk = new Map((await backend.list('packs/')).map((o) => [RepoKeys.idOf(o.key), o.size]));
  const result: GcResult = {
    deletedPacks: 0,
    repackedPacks: 0,
    orphanPacks: 0,
    freedBytes: 0,
    removedIncompleteWrites: 0,
  };

  const keep: PackRecord[] = [];
  const toDelete: string[] = [];
  const toRepack: Array<{ pack: PackRecord; blobs: BlobEntry[] }> = [];
  for (const pack of index.packs.values()) {
    if (!onDisk.has(pack.id)) continue; // nothing to free; verify reports the points it breaks
    // A blob counts here only where the index resolves it, so duplicates elsewhere are garbage.
    const liveBlobs = pack.blobs.filter((b) => live.has(b.id) && index.get(b.id)?.pack === pack.id);
    const liveBytes = liveBlobs.reduce((n, b) => n + b.length, 0);
    if (liveBlobs.length === 0) toDelete.push(pack.id);
    // A pack whose every blob is live has nothing to give back, whatever the threshold: rewritten,
    // it would come out byte for byte the same pack, under the same id, and be deleted below.
    else if (liveBlobs.length === pack.blobs.length) keep.push(pack);
    else if (1 - liveBytes / pack.size >= repackThreshold)
      toRepack.push({ pack, blobs: liveBlobs });
    else keep.push(pack);
  }
  // Packs no index names (a backup that failed or crashed before indexing them) go first: no
  // point can reach them, and on a full disk the space they free is what lets the new index be
  // written at all (the usual case: the backup failed because the disk filled up).
  for (const [id, size] of onDisk) {
    if (index.packs.has(id)) continue;
    await backend.delete(RepoKeys.pack(id));
    result.orphanPacks++;
    result.deletedPacks++;
    result.freedBytes += size;
  }
  // Likewise the temp files of puts that never completed (no writer runs: the lock is ours).
  result.removedIncompleteWrites = await backend.removeIncompleteWrites();

  // Live blobs are copied still sealed: their AAD is their id, not the pack, so they stay valid.
  let builder = new PackBuilder();
  const flushBuilder = async () => {
    if (builder.blobCount === 0) return;
    const { id, parts, size, entries } = builder.finish(core.seal);
    await backend.put(RepoKeys.pack(id), parts);
    keep.push({ id, size, blobs: entries });
    builder = new PackBuilder();
  };
  for (const { pack, blobs } of toRepack) {
    const bytes = await backend.get(RepoKeys.pack(pack.id));
    for (const b of blobs) {
      builder.add(b.id, b.type, bytes.subarray(b.offset, b.offset + b.length), b.rawLength);
      if (builder.size >= core.config.packTargetSize) await flushBuilder();
    }
    toDelete.push(pack.id);
    result.repackedPacks++;
  }
  await flushBuilder();

  if (toDelete.length > 0 || index.files.size > 1) {
    const bytes = encodeIndexFile(keep, core.seal);
    const newIndexId = packIdOf(bytes);
    await backend.put(RepoKeys.index(newIndexId), bytes);
    for (const file of index.files)
      if (file !== newIndexId) await backend.delete(RepoKeys.index(file));
  }
  // Never a pack the new index lists: a repacked pack may come out equal to one it replaces.
  const kept = new Set(keep.map((p) => p.id));
  for (const id of toDelete) {
    if (kept.has(id)) continue;
    result.freedBytes += onDisk.get(id) ?? 0;
    await backend.delete(RepoKeys.pack(id));
  }
  result.deletedPacks += toDelete.length - result.repackedPacks;
  await deleteOrphanFileIndexes(core);
  await deleteOrphanHolds(core);
  await core.refreshIndex();
  return result;
}

/**
 * Rebuilds the index from the packs' own blob tables (after an index file was lost or damaged).
 * Exclusive lock: it replaces every index file.
 */
export async function rebuildIndex(
  core: RepositoryCore,
  options: { lockWaitMs?: number } = {},
): Promise<{ packs: number; unreadablePacks: string[] }> {
  const { backend } = core;
  const lock = await RepositoryLock.acquire(backend, 'exclusive', 'rebuild-index', {
    waitMs: options.lockWaitMs ?? 0,
  });
  try {
    const records: PackRecord[] = [];
    const unreadablePacks: string[] = [];
    for (const obj of await backend.list('packs/')) {
      const id = RepoKeys.idOf(obj.key);
      try {
        if (obj.size < FOOTER_BYTES) throw new FormatError(`pack ${id} is too short`);
        const footer = await backend.getRange(obj.key, obj.size - FOOTER_BYTES, FOOTER_BYTES);
        const trailerLength = parsePackFooter(footer, obj.size, `pack ${id}`);
        const trailer = await backend.getRange(
          obj.key,
          obj.size - FOOTER_BYTES - trailerLength,
          trailerLength,
        );
        records.push({
          id,
          size: obj.size,
          blobs: parsePackTrailer(trailer, obj.size, core.seal, `pack ${id}`),
        });
      } catch (err) {
        if (!(err instanceof FormatError || err instanceof SealError)) throw err;
        unreadablePacks.push(id);
      }
    }
    const old = await backend.list('index/');
    const bytes = encodeIndexFile(records, core.seal);
    const newId = packIdOf(bytes);
    await backend.put(RepoKeys.index(newId), bytes);
    for (const o of old) if (RepoKeys.idOf(o.key) !== newId) await backend.delete(o.key);
    await core.refreshIndex();
    return { packs: records.length, unreadablePacks };
  } finally {
    await lock.release();
  }
}

import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { HyperkeepError } from '../../../shared/errors';
import { RepoKeys, type RepositoryBackend } from './backend';
import { ChunkStore } from './chunk-store';
import { parseConfig, serializeConfig, type RepositoryConfig } from './config';
import { PointDiskReader, type PointDiskReaderOptions } from './disk-reader';
import { getFileIndex, putFileIndex } from './file-index';
import { differingRanges, type ByteRange } from './disk-map';
import {
  CURRENT_CHUNKER,
  DEFAULT_CHUNKER_PARAMS,
  validateChunkerParams,
  type ChunkerParams,
} from './fastcdc';
import {
  DEFAULT_KDF,
  createKeyFile,
  generateKeys,
  parseKeyFile,
  unwrapKeyFile,
  type KdfParams,
  type RepositoryKeys,
} from './keys';
import { READ_LOCK_WAIT_MS, RepositoryLock } from './locks';
import { deleteHold, listHolds, putHold, type PointHold } from './point-holds';
import {
  collectGarbage,
  prunePoints,
  rebuildIndex,
  type GcOptions,
  type GcResult,
  type PruneOptions,
  type PruneResult,
} from './maintenance';
import { PointVm, type PointManifest } from './manifest';
import { PointWriter } from './point-writer';
import { RepositoryCore, type CoreTuning } from './repository-core';
import { repositoryStats, type RepositoryStats } from './stats';
import { verifyRepository, type VerifyOptions, type VerifyReport } from './verify';

/**
 * zstd level 1: on VM disk data it costs about half the CPU of level 3 for about 12 % more
 * stored bytes (measured on the benchmark disk: 3.4 against 6 ms/MiB, ratio 0.36 against 0.33),
 * and compression is the largest share of a full backup's CPU. Level 3 and above stay available
 * per repository for those who would rather pay CPU than storage.
 */
export const DEFAULT_COMPRESSION_LEVEL = 1;

export interface OpenOptions {
  passphrase?: string;
  /** Worker threads for compression + encryption (default: cores − 1, 1…4; 0 = calling thread). */
  workers?: number;
  /** Decoded-chunk cache for readers, bytes (default 64 MiB). */
  cacheBytes?: number;
  /** How long a restore waits for another process's gc to finish (default 30 minutes). */
  readLockWaitMs?: number;
}

export interface InitOptions extends OpenOptions {
  /** Encrypt with ChaCha20-Poly1305 under a key wrapped by the passphrase (argon2id). */
  encrypt: boolean;
  kdf?: KdfParams;
  chunker?: ChunkerParams;
  /** zstd level, 0 = no compression (default DEFAULT_COMPRESSION_LEVEL). */
  compressionLevel?: number;
  /** Pack size target, bytes (default 16 MiB). */
  packTargetSize?: number;
}

export interface StartPointOptions {
  vm: PointVm;
  meta?: Record<string, unknown>;
  /** The point this one is incremental to (copyExtentFrom may name any point, this is recorded). */
  parent?: string;
  /** How long to wait for a running gc to finish (default 10 minutes). */
  lockWaitMs?: number;
}

function tuning(options: OpenOptions): CoreTuning {
  return {
    // Every core: the main thread only moves data, the workers do the CPU work.
    workers: options.workers ?? Math.max(1, Math.min(8, availableParallelism())),
    cacheBytes: options.cacheBytes ?? 64 * 1024 * 1024,
    readLockWaitMs: options.readLockWaitMs ?? READ_LOCK_WAIT_MS,
  };
}

/**
 * A deduplicating, encrypted, crash-safe store of VM restore points (format:
 * docs/repository-format.md). Self-describing: opened with its location and passphrase alone,
 * it lists every point and reads every disk in it.
 */
export class Repository {
  private constructor(private readonly core: RepositoryCore) {}

  get id(): string {
    return this.core.config.id;
  }

  get location(): string {
    return this.core.location;
  }

  get encrypted(): boolean {
    return this.core.config.encryption !== 'none';
  }

  get config(): Readonly<RepositoryConfig> {
    return this.core.config;
  }

  /** Creates a repository in an empty location. */
  static async init(backend: RepositoryBackend, options: InitOptions): Promise<Repository> {
    if (await backend.stat(RepoKeys.config)) {
      throw new HyperkeepError(
        'ALREADY_EXISTS',
        `A repository already exists at ${backend.location}`,
      );
    }
    if (options.encrypt && !options.passphrase) {
      throw new HyperkeepError('INVALID_INPUT', 'An encrypted repository needs a passphrase');
    }
    const chunker = options.chunker ?? DEFAULT_CHUNKER_PARAMS;
    validateChunkerParams(chunker);
    const keys = generateKeys(options.encrypt);
    const config: RepositoryConfig = {
      format: 'hyperkeep-repository',
      version: 1,
      id: randomBytes(16).toString('hex'),
      createdAt: new Date().toISOString(),
      encryption: options.encrypt ? 'chacha20-poly1305' : 'none',
      chunker: { algorithm: CURRENT_CHUNKER, ...chunker },
      compression: {
        algorithm: 'zstd',
        level: options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL,
      },
      packTargetSize: options.packTargetSize ?? 16 * 1024 * 1024,
      ...(options.encrypt ? {} : { idKey: keys.idKey.toString('base64') }),
    };
    let keyFileId: string | null = null;
    if (options.encrypt) {
      keyFileId = randomBytes(16).toString('hex');
      const file = await createKeyFile(
        options.passphrase!,
        config.id,
        keys,
        options.kdf ?? DEFAULT_KDF,
        hostname(),
      );
      await backend.put(RepoKeys.key(keyFileId), file, { ifAbsent: true });
    }
    // The config is written last and only if absent: it is what makes the location a repository.
    try {
      await backend.put(
        RepoKeys.config,
        serializeConfig(parseConfig(serializeConfig(config), backend.location)),
        { ifAbsent: true },
      );
    } catch (err) {
      if (keyFileId) await backend.delete(RepoKeys.key(keyFileId));
      throw err;
    }
    return new Repository(new RepositoryCore(backend, config, keys, keyFileId, tuning(options)));
  }

  /** Opens a repository; a wrong passphrase is AUTH_FAILED. */
  static async open(backend: RepositoryBackend, options: OpenOptions = {}): Promise<Repository> {
    let configBytes: Uint8Array;
    try {
      configBytes = await backend.get(RepoKeys.config);
    } catch (err) {
      if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') {
        throw new HyperkeepError(
          'NOT_FOUND',
          `There is no Hyperkeep repository at ${backend.location} (no config file)`,
        );
      }
      throw err;
    }
    const config = parseConfig(configBytes, backend.location);
    if (config.encryption === 'none') {
      const keys: RepositoryKeys = {
        encryptionKey: null,
        idKey: Buffer.from(config.idKey!, 'base64'),
      };
      return new Repository(new RepositoryCore(backend, config, keys, null, tuning(options)));
    }
    if (!options.passphrase) {
      // The reason lets a client that cannot prompt (the CLI) say where a passphrase comes from.
      throw new HyperkeepError(
        'AUTH_FAILED',
        `The repository at ${backend.location} is encrypted: enter its passphrase`,
        { reason: 'PASSPHRASE_REQUIRED' },
      );
    }
    const keyObjects = await backend.list('keys/');
    if (keyObjects.length === 0) {
      throw new HyperkeepError(
        'INTERNAL',
        `The repository at ${backend.location} has no key files (keys/ is empty): it cannot be decrypted`,
        {
          reason: 'CORRUPT',
        },
      );
    }
    const found = await unlockingKeyFile(backend, keyObjects, options.passphrase, config.id);
    if (found.keys.encryptionKey === null) {
      throw new HyperkeepError(
        'INTERNAL',
        `Key file ${RepoKeys.key(found.id)} holds no encryption key for an encrypted repository`,
        { reason: 'CORRUPT' },
      );
    }
    return new Repository(
      new RepositoryCore(backend, config, found.keys, found.id, tuning(options)),
    );
  }

  /**
   * Starts a restore point. Takes a shared lock (backups run side by side; gc waits) and loads
   * the latest index, against which new data is deduplicated.
   */
  async startPoint(options: StartPointOptions): Promise<PointWriter> {
    const vm = PointVm.safeParse(options.vm);
    if (!vm.success)
      throw new HyperkeepError('INVALID_INPUT', 'A restore point needs the VM uuid and name');
    const lock = await RepositoryLock.acquire(
      this.core.backend,
      'shared',
      `backup of ${vm.data.name}`,
      {
        waitMs: options.lockWaitMs ?? 10 * 60_000,
      },
    );
    try {
      // Lock first, then index: gc cannot start between the two and delete what we dedup against.
      const index = await this.core.refreshIndex();
      if (options.parent !== undefined) await this.core.loadManifest(options.parent);
      // One segment per worker plus one queued (16 MiB each): the workers never wait, and
      // memory stays bounded (each worker also holds its garbage until its next GC).
      const store = new ChunkStore(this.core, index, this.core.pool.size + 1);
      return new PointWriter(this.core, lock, store, {
        vm: vm.data,
        meta: options.meta ?? {},
        parent: options.parent ?? null,
      });
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** Every restore point, oldest first. */
  async listPoints(): Promise<PointManifest[]> {
    const ids = await this.core.listPointIds();
    const out: PointManifest[] = [];
    for (const id of ids) {
      try {
        out.push(await this.core.loadManifest(id));
      } catch (err) {
        // Deleted by a concurrent prune between list and read.
        if (!(err instanceof HyperkeepError && err.code === 'NOT_FOUND')) throw err;
      }
    }
    return out.sort((a, b) =>
      a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id < b.id ? -1 : 1,
    );
  }

  getPoint(id: string): Promise<PointManifest> {
    return this.core.loadManifest(id);
  }

  /** Random access to one disk of a point: holes read as zeros. */
  async openDisk(
    pointId: string,
    diskName: string,
    options: PointDiskReaderOptions = {},
  ): Promise<PointDiskReader> {
    const what = `disk ${diskName} of restore point ${pointId}`;
    const leave = await this.core.readGate.enter(what);
    try {
      const map = await this.core.loadDiskMap(pointId, diskName);
      return new PointDiskReader(map, this.core.blobs, what, options, leave);
    } catch (err) {
      leave();
      throw err;
    }
  }

  /**
   * Byte ranges of a disk whose content may differ between two points (differingRanges): what
   * an incremental catalog compares, read from the points' disk maps without any chunk.
   */
  async changedRanges(
    fromPointId: string,
    toPointId: string,
    diskName: string,
  ): Promise<ByteRange[]> {
    const [before, after] = await Promise.all([
      this.core.loadDiskMap(fromPointId, diskName),
      this.core.loadDiskMap(toPointId, diskName),
    ]);
    return differingRanges(before, after);
  }

  /** Stores a committed point's file index (docs/repository-format.md, "File indexes"). */
  putFileIndex(pointId: string, data: Uint8Array): Promise<void> {
    return putFileIndex(this.core, pointId, data);
  }

  /** A point's file index, or null when it has none. */
  getFileIndex(pointId: string): Promise<Uint8Array | null> {
    return getFileIndex(this.core, pointId);
  }

  /** Protects a point: retention keeps it and deletePoints refuses it (point-holds.ts). */
  async protectPoint(pointId: string, reason: string): Promise<PointHold> {
    const hold = { reason, since: new Date().toISOString() };
    await putHold(this.core, pointId, hold);
    return hold;
  }

  /** Lifts a point's protection (nothing happens to a point that had none). */
  async unprotectPoint(pointId: string): Promise<void> {
    await this.core.loadManifest(pointId);
    await deleteHold(this.core, pointId);
  }

  /** The protected points, by id. */
  listHolds(): Promise<Map<string, PointHold>> {
    return listHolds(this.core);
  }

  /** Forgets points (their data goes with the next gc); a protected point is refused. */
  async deletePoints(ids: readonly string[]): Promise<void> {
    const lock = await RepositoryLock.acquire(this.core.backend, 'shared', 'delete points');
    try {
      const holds = await listHolds(this.core);
      const held = ids.filter((id) => holds.has(id));
      if (held.length > 0)
        throw new HyperkeepError(
          'INVALID_INPUT',
          `Restore point${held.length === 1 ? '' : 's'} ${held.join(', ')} ${held.length === 1 ? 'is' : 'are'} protected: lift the protection first; nothing was deleted.`,
          { reason: 'PROTECTED', points: held },
        );
      for (const id of ids) {
        await this.core.loadManifest(id);
        await this.core.backend.delete(RepoKeys.snapshot(id));
        await this.core.backend.delete(RepoKeys.fileIndex(id));
        this.core.forgetManifest(id);
      }
    } finally {
      await lock.release();
    }
  }

  verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    return verifyRepository(this.core, options);
  }

  prune(options: PruneOptions): Promise<PruneResult> {
    return prunePoints(this.core, options);
  }

  /** Frees the space no point uses, once backups and restores let it (collectGarbage). */
  gc(options: GcOptions = {}): Promise<GcResult> {
    return collectGarbage(this.core, options);
  }

  rebuildIndex(
    options: { lockWaitMs?: number } = {},
  ): Promise<{ packs: number; unreadablePacks: string[] }> {
    return rebuildIndex(this.core, options);
  }

  stats(): Promise<RepositoryStats> {
    return repositoryStats(this.core);
  }

  /**
   * Replaces a key file by one for `newPassphrase`: the one `current` unlocks (AUTH_FAILED when
   * none does), or else the one this repository was opened with. The new file is written before
   * the old one is deleted, so a crash in between leaves both working; `beforeRemovingOld` runs
   * in that window (the console stores the new passphrase there).
   */
  async changePassphrase(
    newPassphrase: string,
    kdf: KdfParams = DEFAULT_KDF,
    options: { current?: string; beforeRemovingOld?: () => void | Promise<void> } = {},
  ): Promise<void> {
    if (this.core.keyFileId === null)
      throw new HyperkeepError(
        'INVALID_INPUT',
        `The repository at ${this.location} is not encrypted: it has no passphrase`,
      );
    const old =
      options.current === undefined
        ? this.core.keyFileId
        : (
            await unlockingKeyFile(
              this.core.backend,
              await this.core.backend.list('keys/'),
              options.current,
              this.id,
            )
          ).id;
    const id = randomBytes(16).toString('hex');
    const file = await createKeyFile(newPassphrase, this.id, this.core.keys, kdf, hostname());
    await this.core.backend.put(RepoKeys.key(id), file, { ifAbsent: true });
    await options.beforeRemovingOld?.();
    await this.core.backend.delete(RepoKeys.key(old));
    (this.core as { keyFileId: string | null }).keyFileId = id;
  }

  /** Stops the worker threads. */
  close(): Promise<void> {
    return this.core.close();
  }
}

/** The key file `passphrase` unwraps, with its keys; AUTH_FAILED when none does. */
async function unlockingKeyFile(
  backend: RepositoryBackend,
  keyObjects: readonly { key: string }[],
  passphrase: string,
  repositoryId: string,
): Promise<{ id: string; keys: RepositoryKeys }> {
  for (const obj of keyObjects) {
    const file = parseKeyFile(await backend.get(obj.key), obj.key);
    const keys = await unwrapKeyFile(file, passphrase, repositoryId);
    if (keys) return { id: RepoKeys.idOf(obj.key), keys };
  }
  throw new HyperkeepError('AUTH_FAILED', `Wrong passphrase for repository at ${backend.location}`);
}

/**
 * Hyperkeep's side of the benchmark, through the same engine functions the job runner calls:
 * backupVm into a local-directory repository, a whole disk restored the way `restore disk` does
 * (copyToSink into a raw image: holes left sparse, fsync), and one file restored through the
 * catalog's extents or by parsing the file system, counting the bytes it had to read.
 */
import { createHash } from 'node:crypto';
import { backupVm, type BackupVmResult } from '../../src-main/engine/backup/backup-vm';
import type { BackupVmRequest } from '../../src-main/engine/backup/types';
import type { LibvirtConnector } from '../../src-main/engine/connectors/libvirt/libvirt-connector';
import { openFileSystem } from '../../src-main/engine/filesystems/detect';
import type { RandomAccessReader } from '../../src-main/engine/io/random-access';
import { LocalDirectoryBackend } from '../../src-main/engine/repository/backends/local-directory';
import {
  dataPathTimings,
  resetDataPathTimings,
  type DataPathTimings,
} from '../../src-main/engine/repository/data-path-timings';
import { Repository } from '../../src-main/engine/repository/repository';
import { CatalogPointSource } from '../../src-main/engine/restore/catalog-file-source';
import { filePieces } from '../../src-main/engine/restore/file-pieces';
import {
  copyToSink,
  createImageSink,
  type ImageSink,
} from '../../src-main/engine/restore/image-export';
import type { FileCatalog } from '../../src-main/engine/file-catalog/file-catalog';

/** A local-directory backend that counts what restores read from the repository. */
class CountingBackend extends LocalDirectoryBackend {
  bytesRead = 0;

  override async get(key: string): Promise<Uint8Array> {
    const data = await super.get(key);
    this.bytesRead += data.length;
    return data;
  }

  override async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    const data = await super.getRange(key, offset, length);
    this.bytesRead += data.length;
    return data;
  }
}

export async function initRepository(dir: string, passphrase: string): Promise<Repository> {
  return Repository.init(new LocalDirectoryBackend(dir), { encrypt: true, passphrase });
}

/** Opens the repository afresh (cold caches), counting the bytes read from it. */
export async function openCounting(
  dir: string,
  passphrase: string,
): Promise<{ repository: Repository; backend: CountingBackend }> {
  const backend = new CountingBackend(dir);
  return { repository: await Repository.open(backend, { passphrase }), backend };
}

export async function backupOnce(
  connector: LibvirtConnector,
  repository: Repository,
  vmUuid: string,
  parentPointId?: string,
  log: (line: string) => void = () => undefined,
  /** The backup job's cataloging phase, run while the disks are still exported (see BackupVmRequest). */
  whileExported?: BackupVmRequest['whileExported'],
): Promise<{ result: BackupVmResult; timings: DataPathTimings }> {
  resetDataPathTimings();
  let phase = '';
  const result = await backupVm({
    connector,
    vmUuid,
    repository,
    ...(parentPointId ? { parentPointId } : {}),
    forceFull: false,
    settings: {
      keepSnapshotsOnFailure: false,
      dataReaders: 2,
      excludeDisks: [],
      preCommand: '',
      postCommand: '',
      timeoutSeconds: 30,
    },
    signal: new AbortController().signal,
    onProgress: (p) => {
      if (p.phase !== phase) log(`phase ${(phase = p.phase)}`);
    },
    log,
    ...(whileExported ? { whileExported } : {}),
  });
  return { result, timings: { ...dataPathTimings } };
}

/**
 * The restore-disk job's path: copyToSink into a raw image sink (stored blocks only, chunks
 * fetched ahead and decoded on worker threads, holes left sparse), then fsync and rename.
 */
export async function restoreDiskFile(
  repository: Repository,
  pointId: string,
  disk: string,
  dest: string,
): Promise<{ sizeBytes: number; writtenBytes: number; finishMs: number }> {
  const reader = await repository.openDisk(pointId, disk);
  const sink = await createImageSink('raw', dest, reader.size, { overwrite: true });
  let writtenBytes = 0;
  let finishMs = 0;
  const counting: ImageSink = {
    write: (offset, data) => {
      writtenBytes += data.length;
      return sink.write(offset, data);
    },
    finish: async () => {
      const began = performance.now();
      await sink.finish();
      finishMs = performance.now() - began;
    },
    abort: () => sink.abort(),
  };
  try {
    const sizeBytes = await copyToSink(reader, counting, {
      signal: new AbortController().signal,
      progress: () => undefined,
    });
    return { sizeBytes, writtenBytes, finishMs };
  } finally {
    await reader.close();
  }
}

/** Counts the bytes a file-system reader asks of the restored disk. */
function countingReader(inner: RandomAccessReader): RandomAccessReader & { bytesRead: number } {
  const counting = {
    size: inner.size,
    bytesRead: 0,
    async read(offset: number, length: number): Promise<Uint8Array> {
      counting.bytesRead += length;
      return inner.read(offset, length);
    },
    close: () => inner.close(),
  };
  return counting;
}

export interface FileRestore {
  path: string;
  sizeBytes: number;
  sha256: string;
  /** Bytes the ext4 reader read from the virtual disk (metadata + file data). */
  diskBytesRead: number;
}

/** Reads one file out of a restore point's disk without restoring the disk. */
export async function restoreOneFile(
  repository: Repository,
  pointId: string,
  disk: string,
  path: string,
): Promise<FileRestore> {
  const reader = countingReader(await repository.openDisk(pointId, disk));
  const fs = await openFileSystem(reader);
  try {
    const entry = await fs.lookup(path);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    for await (const piece of fs.readFile(entry)) {
      hash.update(piece);
      sizeBytes += piece.length;
    }
    return { path, sizeBytes, sha256: hash.digest('hex'), diskBytesRead: reader.bytesRead };
  } finally {
    await fs.close();
    await reader.close();
  }
}

/**
 * One file of a cataloged point the way a file restore reads it: its extents from the catalog,
 * then only the chunks under them (the file system is not parsed).
 */
export async function restoreOneFileFromCatalog(
  repository: Repository,
  catalog: FileCatalog,
  pointId: string,
  browsePath: string,
): Promise<FileRestore> {
  const source = await CatalogPointSource.open(repository, catalog, pointId, ['vda']);
  try {
    const entry = await source.entry(browsePath);
    const hash = createHash('sha256');
    let at = 0;
    let diskBytesRead = 0;
    for await (const piece of filePieces(source, entry)) {
      if (piece.offset > at) hash.update(Buffer.alloc(piece.offset - at));
      hash.update(piece.data);
      at = piece.offset + piece.data.length;
      diskBytesRead += piece.data.length;
    }
    if (entry.size > at) hash.update(Buffer.alloc(entry.size - at));
    return { path: browsePath, sizeBytes: entry.size, sha256: hash.digest('hex'), diskBytesRead };
  } finally {
    await source.close();
  }
}

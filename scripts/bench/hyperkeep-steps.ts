/**
 * Hyperkeep's side of the benchmark, through the same engine functions the job runner calls:
 * backupVm into a local-directory repository, a whole disk restored the way `restore disk` does
 * (4 MiB reads, zero blocks left as holes, fsync), and one file restored through the file-system
 * reader, counting the bytes it had to read.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { backupVm, type BackupVmResult } from '../../src-main/engine/backup/backup-vm';
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

const BLOCK = 4 * 1024 * 1024;

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
): Promise<{ result: BackupVmResult; timings: DataPathTimings }> {
  resetDataPathTimings();
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
    onProgress: () => undefined,
    log: () => undefined,
  });
  return { result, timings: { ...dataPathTimings } };
}

function isZero(block: Uint8Array): boolean {
  return Buffer.compare(block, Buffer.alloc(block.length)) === 0;
}

/** The restore-disk job's loop: sequential 4 MiB reads into a sparse raw file, then fsync. */
export async function restoreDiskFile(
  repository: Repository,
  pointId: string,
  disk: string,
  dest: string,
): Promise<{ sizeBytes: number; writtenBytes: number }> {
  const reader = await repository.openDisk(pointId, disk);
  const file = await open(dest, 'w', 0o600);
  let writtenBytes = 0;
  try {
    for (let offset = 0; offset < reader.size; offset += BLOCK) {
      const block = await reader.read(offset, Math.min(BLOCK, reader.size - offset));
      if (!isZero(block)) {
        await file.write(block, 0, block.length, offset);
        writtenBytes += block.length;
      }
    }
    await file.truncate(reader.size);
    await file.sync();
    return { sizeBytes: reader.size, writtenBytes };
  } finally {
    await file.close();
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

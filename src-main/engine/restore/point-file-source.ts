import { HyperkeepError } from '../../../shared/errors';
import { openFileSystem } from '../filesystems/detect';
import {
  isLinuxFileSystem,
  type EntryType,
  type FileExtent,
  type FileSystem,
  type FsEntry,
} from '../filesystems/filesystem';
import type { Repository } from '../repository/repository';
import type { VolumeInfo } from '../volumes/detect';
import { openPointVolumes, type PointVolumes } from './point-volumes';
import { browseComponents } from './safe-names';

/** A file, folder or symlink of a restore point, addressed by its browse path (`/vda1/etc/hosts`). */
export interface SourceEntry {
  path: string;
  name: string;
  type: EntryType;
  size: number;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  atime?: Date;
  symlinkTarget?: string;
  /** Identifies the object across names (hard links, a directory linked twice): cycle detection. */
  key: string;
  /** The names come from a Windows file system (NTFS, FAT): Windows name rules apply. */
  windowsNames: boolean;
}

/** A byte range of a file that holds data; everything else reads as zeros. */
export interface DataRange {
  offset: number;
  length: number;
}

/**
 * The data ranges of a file of `size` bytes from its extents (sorted, as the parsers and the
 * catalog give them): holes dropped, ranges clipped to the file, neighbours merged so reads
 * stay large.
 */
export function dataRangesOf(
  extents: readonly Pick<FileExtent, 'kind' | 'fileOffset' | 'length'>[],
  size: number,
): DataRange[] {
  const ranges: DataRange[] = [];
  for (const extent of extents) {
    if (extent.kind === 'hole') continue;
    const start = Math.max(0, extent.fileOffset);
    const end = Math.min(size, extent.fileOffset + extent.length);
    if (end <= start) continue;
    const last = ranges[ranges.length - 1];
    if (last && last.offset + last.length === start) last.length += end - start;
    else if (!last || start > last.offset + last.length)
      ranges.push({ offset: start, length: end - start });
  }
  return ranges;
}

/**
 * Where a file restore reads from. The first implementation parses the point's file systems
 * through the repository (below); the file catalog can answer the same questions from the
 * extents it stored at backup time, without parsing the file system again.
 */
export interface PointFileSource {
  entry(browsePath: string): Promise<SourceEntry>;
  children(dir: SourceEntry): Promise<SourceEntry[]>;
  /** The ranges of a file that hold data, in order; the rest of [0, size) is holes. */
  dataRanges(file: SourceEntry): Promise<DataRange[]>;
  /** Exactly `length` bytes of a file at `offset` (inside [0, size)). */
  read(file: SourceEntry, offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

interface OpenVolume {
  info: VolumeInfo;
  fs: FileSystem;
}

/** Reads files by opening the point's disks, finding the volume and parsing its file system. */
export class FileSystemPointSource implements PointFileSource {
  private readonly fsEntries = new WeakMap<SourceEntry, { volume: OpenVolume; entry: FsEntry }>();
  private readonly open = new Map<string, Promise<OpenVolume>>();

  private constructor(
    private readonly volumes: PointVolumes,
    private readonly what: string,
  ) {}

  /** Opens every disk of the point (LVM volumes may span disks) and lists its volumes. */
  static async open(
    repository: Repository,
    pointId: string,
    diskNames: readonly string[],
  ): Promise<FileSystemPointSource> {
    const volumes = await openPointVolumes(repository, pointId, diskNames);
    return new FileSystemPointSource(volumes, `restore point ${pointId}`);
  }

  async entry(browsePath: string): Promise<SourceEntry> {
    const [volumeName, ...rest] = browseComponents(browsePath);
    if (volumeName === undefined)
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Choose a volume or a path inside one (e.g. /vda1/etc), not "${browsePath}".`,
      );
    const volume = await this.volume(volumeName);
    const fsEntry =
      rest.length === 0 ? await volume.fs.root() : await volume.fs.lookup(`/${rest.join('/')}`);
    return this.wrap(
      volume,
      fsEntry,
      `/${[volumeName, ...rest].join('/')}`,
      rest.length === 0 ? volumeName : fsEntry.name,
    );
  }

  async children(dir: SourceEntry): Promise<SourceEntry[]> {
    const inner = this.inner(dir);
    const list = await inner.volume.fs.listDir(inner.entry);
    return list.map((child) =>
      this.wrap(inner.volume, child, `${dir.path}/${child.name}`, child.name),
    );
  }

  async dataRanges(file: SourceEntry): Promise<DataRange[]> {
    const inner = this.inner(file);
    return dataRangesOf(await inner.volume.fs.extents(inner.entry), file.size);
  }

  async read(file: SourceEntry, offset: number, length: number): Promise<Uint8Array> {
    const inner = this.inner(file);
    const data = await inner.volume.fs.read(inner.entry, offset, length);
    if (data.length === length) return data;
    // Short only when the extents end before the recorded size: the rest reads as zeros.
    const out = new Uint8Array(length);
    out.set(data.subarray(0, length));
    return out;
  }

  async close(): Promise<void> {
    const opened = await Promise.allSettled(this.open.values());
    for (const v of opened)
      if (v.status === 'fulfilled') await v.value.fs.close().catch(() => undefined);
    await this.volumes.close();
  }

  private volume(name: string): Promise<OpenVolume> {
    let pending = this.open.get(name);
    if (!pending) {
      const info = this.volumes.find(name);
      pending = openFileSystem(info.reader).then(
        (fs) => ({ info, fs }),
        (err: unknown) => {
          throw err instanceof HyperkeepError
            ? new HyperkeepError(
                err.code,
                `${this.what}, volume ${name}: ${err.message}`,
                err.details,
              )
            : err;
        },
      );
      pending.catch(() => this.open.delete(name));
      this.open.set(name, pending);
    }
    return pending;
  }

  private wrap(volume: OpenVolume, e: FsEntry, path: string, name: string): SourceEntry {
    const entry: SourceEntry = {
      path,
      name,
      type: e.type,
      size: e.type === 'file' ? e.size : 0,
      key: `${volume.info.name}:${e.id}`,
      windowsNames: !isLinuxFileSystem(volume.fs.kind),
      ...(e.mode !== undefined ? { mode: e.mode & 0o7777 } : {}),
      ...(e.uid !== undefined ? { uid: e.uid } : {}),
      ...(e.gid !== undefined ? { gid: e.gid } : {}),
      ...(e.mtime ? { mtime: e.mtime } : {}),
      ...(e.atime ? { atime: e.atime } : {}),
      ...(e.symlinkTarget !== undefined ? { symlinkTarget: e.symlinkTarget } : {}),
    };
    this.fsEntries.set(entry, { volume, entry: e });
    return entry;
  }

  private inner(entry: SourceEntry): { volume: OpenVolume; entry: FsEntry } {
    const inner = this.fsEntries.get(entry);
    if (!inner)
      throw new HyperkeepError('INTERNAL', `${entry.path} does not come from this source`);
    return inner;
  }
}

import type { PointVolume } from '../../../shared/domain/files';
import { HyperkeepError } from '../../../shared/errors';
import { childRowsAt } from '../file-catalog/catalog-children';
import type { PointRow, EntryRow } from '../file-catalog/catalog-rows';
import { TYPE_CODES } from '../file-catalog/catalog-record';
import { decodeExtents } from '../file-catalog/extent-codec';
import type { FileCatalog } from '../file-catalog/file-catalog';
import { isLinuxFileSystemName, type FileExtent } from '../filesystems/filesystem';
import type { PointDiskReader } from '../repository/disk-reader';
import type { Repository } from '../repository/repository';
import {
  FileSystemPointSource,
  dataRangesOf,
  type DataRange,
  type PointFileSource,
  type SourceEntry,
} from './point-file-source';
import { browseComponents } from './safe-names';

/** What the catalog knows of an entry it produced. */
interface Cataloged {
  volume: PointVolume;
  pathId: number;
  row: EntryRow;
  /** Sorted data, hole and inline extents; null when a read must parse the file system. */
  extents?: FileExtent[] | null;
}

/**
 * Reads the files of a cataloged point straight from the extents the catalog stored at backup
 * time: a file costs the chunks under its own bytes (volume offset → disk offset → the disk
 * map's runs → those chunks), with no partition table, superblock, inode or folder read.
 * Whatever the catalog cannot answer goes to a FileSystemPointSource, opened only then: volumes
 * that were not indexed, logical volumes (their extents are not a plain offset on one disk),
 * NTFS-compressed files, files whose extents could not be read at indexing time.
 */
export class CatalogPointSource implements PointFileSource {
  private readonly cataloged = new WeakMap<SourceEntry, Cataloged>();
  private readonly parsed = new WeakMap<SourceEntry, Promise<SourceEntry>>();
  private readonly disks = new Map<string, Promise<PointDiskReader>>();
  private fallback: Promise<FileSystemPointSource> | null = null;
  private volumeList: PointVolume[] | null = null;

  private constructor(
    private readonly repository: Repository,
    private readonly catalog: FileCatalog,
    private readonly point: PointRow,
    private readonly diskNames: readonly string[],
  ) {}

  /**
   * The fastest source for a point: its catalog when the point is cataloged (hasPoint), else a
   * FileSystemPointSource that parses the file systems.
   */
  static async open(
    repository: Repository,
    catalog: FileCatalog,
    pointId: string,
    diskNames: readonly string[],
  ): Promise<PointFileSource> {
    if (!catalog.hasPoint(pointId))
      return FileSystemPointSource.open(repository, pointId, diskNames);
    const manifest = await repository.getPoint(pointId);
    const point = catalog.queries.point(manifest.vm.uuid, { pointId });
    return new CatalogPointSource(repository, catalog, point, diskNames);
  }

  async entry(browsePath: string): Promise<SourceEntry> {
    const parts = browseComponents(browsePath);
    const volume = parts[0] === undefined ? undefined : this.volume(parts[0]);
    if (!volume) return (await this.parser()).entry(browsePath);
    const resolved = this.catalog.queries.resolve(this.point, `/${parts.join('/')}`);
    const row =
      resolved.pathId === null
        ? undefined
        : this.catalog.queries.entryAt(resolved.pathId, this.point.seq);
    if (!row || resolved.pathId === null)
      throw new HyperkeepError(
        'NOT_FOUND',
        `${browsePath} does not exist in restore point ${this.point.point_id}.`,
        { path: browsePath },
      );
    const name = parts.length === 1 ? volume.name : parts[parts.length - 1]!;
    return this.wrap(volume, resolved.pathId, row, `/${parts.join('/')}`, name);
  }

  async children(dir: SourceEntry): Promise<SourceEntry[]> {
    const known = this.cataloged.get(dir);
    if (!known) return (await this.parser()).children(dir);
    return childRowsAt(this.catalog.queries, known.pathId, this.point.seq).map((row) =>
      this.wrap(known.volume, row.path_id, row, `${dir.path}/${row.name}`, row.name),
    );
  }

  async dataRanges(file: SourceEntry): Promise<DataRange[]> {
    const extents = this.extentsOf(file);
    if (!extents) return (await this.parser()).dataRanges(await this.parsedEntry(file));
    return dataRangesOf(extents, file.size);
  }

  async read(file: SourceEntry, offset: number, length: number): Promise<Uint8Array> {
    const extents = this.extentsOf(file);
    if (!extents) return (await this.parser()).read(await this.parsedEntry(file), offset, length);
    const known = this.cataloged.get(file)!;
    const out = new Uint8Array(length);
    const end = offset + length;
    const reads: Promise<void>[] = [];
    // Binary search for the first extent ending after `offset`; extents are sorted.
    let lo = 0;
    let hi = extents.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = extents[mid]!;
      if (e.fileOffset + e.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < extents.length && extents[i]!.fileOffset < end; i++) {
      const e = extents[i]!;
      const s = Math.max(e.fileOffset, offset);
      const t = Math.min(e.fileOffset + e.length, end);
      if (e.kind === 'inline') {
        out.set(
          e.data.subarray(s - e.fileOffset, Math.min(t - e.fileOffset, e.data.length)),
          s - offset,
        );
      } else if (e.kind === 'data') {
        const at = e.volumeOffset + (s - e.fileOffset);
        if (at + (t - s) > known.volume.sizeBytes)
          throw new HyperkeepError(
            'INTERNAL',
            `The catalog places bytes ${s}–${t} of ${file.path} past the end of volume ${known.volume.name}: the catalog entry is damaged.`,
            { reason: 'CORRUPT', path: file.path },
          );
        reads.push(
          this.disk(known.volume.disk).then(async (disk) => {
            out.set(await disk.read(known.volume.offsetBytes + at, t - s), s - offset);
          }),
        );
      }
    }
    await Promise.all(reads);
    return out;
  }

  async close(): Promise<void> {
    const opened = await Promise.allSettled(this.disks.values());
    for (const d of opened)
      if (d.status === 'fulfilled') await d.value.close().catch(() => undefined);
    if (this.fallback) await (await this.fallback.catch(() => null))?.close();
  }

  /**
   * The cataloged volume `name` when its files can be read through the catalog: indexed, and
   * lying at a fixed offset of one disk of this restore (a partition or a whole-disk file
   * system); a logical volume (name differs from its disk, offset 0) is left to the parser.
   */
  private volume(name: string): PointVolume | undefined {
    this.volumeList ??= this.catalog.queries.volumes(this.point);
    const v = this.volumeList.find((x) => x.name === name);
    if (!v || !v.indexed || !this.diskNames.includes(v.disk)) return undefined;
    return v.offsetBytes > 0 || v.name === v.disk ? v : undefined;
  }

  private wrap(
    volume: PointVolume,
    pathId: number,
    row: EntryRow,
    path: string,
    name: string,
  ): SourceEntry {
    const type = TYPE_CODES[row.type] ?? 'other';
    const entry: SourceEntry = {
      path,
      name,
      type,
      size: type === 'file' ? row.size : 0,
      key: `${volume.name}:${row.fs_id}`,
      windowsNames: !isLinuxFileSystemName(volume.filesystem ?? ''),
      ...(row.mode !== null ? { mode: row.mode & 0o7777 } : {}),
      ...(row.uid !== null ? { uid: row.uid } : {}),
      ...(row.gid !== null ? { gid: row.gid } : {}),
      ...(row.mtime !== null ? { mtime: new Date(row.mtime) } : {}),
      ...(row.link !== null ? { symlinkTarget: row.link } : {}),
    };
    this.cataloged.set(entry, { volume, pathId, row });
    return entry;
  }

  /** The file's extents when they are all readable here; null sends the file to the parser. */
  private extentsOf(file: SourceEntry): FileExtent[] | null {
    const known = this.cataloged.get(file);
    if (!known) return null;
    if (known.extents === undefined) {
      const decoded = known.row.extents ? decodeExtents(known.row.extents) : null;
      known.extents =
        decoded && decoded.every((e) => e.kind !== 'lznt1')
          ? [...decoded].sort((a, b) => a.fileOffset - b.fileOffset)
          : null;
    }
    return known.extents;
  }

  private parser(): Promise<FileSystemPointSource> {
    if (!this.fallback) {
      this.fallback = FileSystemPointSource.open(
        this.repository,
        this.point.point_id,
        this.diskNames,
      );
      this.fallback.catch(() => (this.fallback = null));
    }
    return this.fallback;
  }

  /** The parser's entry for a cataloged file, looked up once. */
  private parsedEntry(file: SourceEntry): Promise<SourceEntry> {
    if (!this.cataloged.has(file)) return Promise.resolve(file);
    let found = this.parsed.get(file);
    if (!found) {
      found = this.parser().then((p) => p.entry(file.path));
      this.parsed.set(file, found);
    }
    return found;
  }

  private disk(name: string): Promise<PointDiskReader> {
    let pending = this.disks.get(name);
    if (!pending) {
      // No read-ahead: the catalog says exactly which bytes a file needs.
      pending = this.repository.openDisk(this.point.point_id, name, { readAhead: false });
      pending.catch(() => this.disks.delete(name));
      this.disks.set(name, pending);
    }
    return pending;
  }
}

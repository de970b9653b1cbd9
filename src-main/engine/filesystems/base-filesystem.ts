import { HyperkeepError } from '../../../shared/errors';
import { readFromExtents, streamFromExtents, type VolumeSource } from './extent-read';
import type { FileExtent, FileSystem, FileSystemKind, FsEntry, WalkOptions } from './filesystem';

const DEFAULT_MAX_DEPTH = 4096;
/**
 * Folders a walk asks the file system to start reading before it lists them: their contents load
 * (chunks fetched and decoded on other threads) while the caller handles the entries before them.
 */
const WALK_PREFETCH_DIRS = 16;
/** Extents of recently read files: sequential read() calls on one file reuse its mapping. */
const EXTENT_CACHE_FILES = 16;

/**
 * What every implementation shares: path lookup, reads through extents, and the bounded walk.
 * Subclasses supply the on-disk parsing (root, listDir, extents).
 */
export abstract class BaseFileSystem implements FileSystem {
  abstract readonly kind: FileSystemKind;
  abstract readonly variant: string;
  abstract readonly label?: string;
  abstract readonly uuid?: string;
  abstract readonly blockSize: number;
  abstract readonly totalBytes: number;

  /** Windows file systems match names case-insensitively. */
  protected abstract readonly caseInsensitive: boolean;
  /** Where file bytes are read from (the volume reader, uncached). */
  protected abstract readonly data: VolumeSource;
  private readonly extentCache = new Map<string, Promise<FileExtent[]>>();

  abstract root(): Promise<FsEntry>;
  abstract listDir(dir: FsEntry): Promise<FsEntry[]>;
  protected abstract mapExtents(entry: FsEntry, stream?: string): Promise<FileExtent[]>;
  abstract close(): Promise<void>;

  /**
   * What identifies a directory's contents for cycle detection during a walk. ext and NTFS ids
   * are the object itself; FAT overrides (two entries can point at the same cluster chain).
   */
  protected directoryKey(dir: FsEntry): number {
    return dir.id;
  }

  /**
   * A hint that `dir` will be listed soon: a file system whose listing waits on reads starts them
   * now, in the background. Never throws; listDir reports any problem when it gets there.
   */
  protected prefetchDirectory(_dir: FsEntry): void {}

  /** extents() of the main stream without waiting, where a file system can (see FileSystem). */
  extentsIfReady(_entry: FsEntry): FileExtent[] | undefined {
    return undefined;
  }

  extents(entry: FsEntry, stream?: string): Promise<FileExtent[]> {
    const key = `${entry.id}:${stream ?? ''}`;
    const cached = this.extentCache.get(key);
    if (cached) return cached;
    const pending = this.mapExtents(entry, stream);
    this.extentCache.set(key, pending);
    pending.catch(() => this.extentCache.delete(key));
    if (this.extentCache.size > EXTENT_CACHE_FILES) {
      const oldest = this.extentCache.keys().next().value;
      if (oldest !== undefined) this.extentCache.delete(oldest);
    }
    return pending;
  }

  async lookup(path: string): Promise<FsEntry> {
    let current = await this.root();
    for (const part of path.split('/').filter((p) => p !== '' && p !== '.')) {
      if (current.type !== 'dir') {
        throw new HyperkeepError('NOT_FOUND', `${path}: ${current.path} is not a directory`);
      }
      const children = await this.listDir(current);
      let next = children.find((c) => c.name === part);
      if (!next && this.caseInsensitive) {
        const wanted = part.toLowerCase();
        next = children.find((c) => c.name.toLowerCase() === wanted);
      }
      if (!next) throw new HyperkeepError('NOT_FOUND', `${path}: no ${part} in ${current.path}`);
      current = next;
    }
    return current;
  }

  async read(entry: FsEntry, offset: number, length: number, stream?: string): Promise<Uint8Array> {
    const size = this.streamSize(entry, stream);
    if (offset >= size) return new Uint8Array(0);
    return readFromExtents(
      this.data,
      await this.extents(entry, stream),
      offset,
      Math.min(length, size - offset),
    );
  }

  async *readFile(entry: FsEntry, stream?: string): AsyncGenerator<Uint8Array> {
    const size = this.streamSize(entry, stream);
    yield* streamFromExtents(this.data, await this.extents(entry, stream), size);
  }

  async *walk(options: WalkOptions = {}): AsyncGenerator<FsEntry> {
    for await (const entries of this.walkFolders(options)) yield* entries;
  }

  async *walkFolders(options: WalkOptions = {}): AsyncGenerator<FsEntry[]> {
    const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    const root = await this.root();
    yield [root];
    const seen = new Set<number>([this.directoryKey(root)]);
    // Explicit stack instead of recursion: deep trees cannot overflow the JS stack.
    const stack: { dir: FsEntry; depth: number; prefetched?: boolean }[] = [
      { dir: root, depth: 0 },
    ];
    while (stack.length > 0) {
      const { dir, depth } = stack.pop()!;
      let children: FsEntry[];
      try {
        children = await this.listDir(dir);
      } catch (err) {
        if (options.onDirectoryError?.(dir, err)) continue;
        throw err;
      }
      yield children;
      const subdirs: FsEntry[] = [];
      for (const child of children) {
        if (child.type !== 'dir' || depth + 1 > maxDepth) continue;
        const key = this.directoryKey(child);
        if (seen.has(key)) continue;
        seen.add(key);
        subdirs.push(child);
      }
      for (let i = subdirs.length - 1; i >= 0; i--)
        stack.push({ dir: subdirs[i]!, depth: depth + 1 });
      // The top of the stack is exactly what gets listed next, in that order.
      for (let i = stack.length - 1; i >= Math.max(0, stack.length - WALK_PREFETCH_DIRS); i--) {
        const next = stack[i]!;
        if (next.prefetched) continue;
        next.prefetched = true;
        this.prefetchDirectory(next.dir);
      }
    }
  }

  private streamSize(entry: FsEntry, stream?: string): number {
    if (stream === undefined || stream === '') return entry.size;
    const found = entry.streams?.find((s) => s.name === stream);
    if (!found)
      throw new HyperkeepError('NOT_FOUND', `${entry.path} has no stream named ${stream}`);
    return found.size;
  }
}

/** Absolute path of a child entry. */
export function childPath(parent: FsEntry, name: string): string {
  return parent.path === '/' ? `/${name}` : `${parent.path}/${name}`;
}

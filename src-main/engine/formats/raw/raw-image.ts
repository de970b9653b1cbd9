import { open, type FileHandle } from 'node:fs/promises';
import { HyperkeepError } from '../../../../shared/errors';
import { checkRange } from '../../io/file-reader';
import type { DiskImage, Extent } from '../disk-image';

/**
 * Where the bytes of an image file come from: a local file, or a file on another host streamed
 * by libvirt. Reads are exact (`target.length` bytes at `offset`) or throw.
 */
export interface ByteSource {
  readonly size: number;
  readInto(target: Uint8Array, offset: number): Promise<void>;
  close(): Promise<void>;
}

/** A local file read with positional reads on one descriptor. */
class LocalFile implements ByteSource {
  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly path: string,
  ) {}

  async readInto(target: Uint8Array, offset: number): Promise<void> {
    let done = 0;
    // pread may return fewer bytes than asked (signals, network file systems): loop until full.
    while (done < target.length) {
      const { bytesRead } = await this.handle.read(
        target,
        done,
        target.length - done,
        offset + done,
      );
      if (bytesRead === 0) {
        throw new HyperkeepError(
          'INVALID_INPUT',
          `${this.path} ended at byte ${offset + done} while reading (file shrank while open?)`,
        );
      }
      done += bytesRead;
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/**
 * An image file read as plain bytes: a raw disk image, and the byte source every other format
 * reader decodes (qcow2 clusters, VMDK extents, VHD blocks all come through here).
 */
export class RawImage implements DiskImage {
  readonly format = 'raw';
  readonly backing = undefined;
  readonly size: number;
  private closed = false;

  private constructor(
    private readonly source: ByteSource,
    /** The file's path, or how messages should name a remote file. */
    readonly path: string,
  ) {
    this.size = source.size;
  }

  static async open(path: string): Promise<RawImage> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT')
        throw new HyperkeepError('NOT_FOUND', `Cannot open ${path}: no such file`);
      throw new HyperkeepError('INVALID_INPUT', `Cannot open ${path}: ${e.message}`);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile() && !stat.isBlockDevice()) {
        throw new HyperkeepError('INVALID_INPUT', `Cannot open ${path}: not a regular file`);
      }
      return new RawImage(new LocalFile(handle, stat.size, path), path);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Bytes from elsewhere (a volume streamed by libvirt), named `path` in messages. */
  static fromSource(source: ByteSource, path: string): RawImage {
    return new RawImage(source, path);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    // readInto fills every byte or throws, so the buffer need not be zeroed first.
    const out = Buffer.allocUnsafe(length);
    await this.readInto(out, offset);
    return out;
  }

  async readInto(target: Uint8Array, offset: number): Promise<void> {
    checkRange(offset, target.length, this.size, this.path);
    if (this.closed) throw new HyperkeepError('INVALID_INPUT', `${this.path} is already closed`);
    if (target.length > 0) await this.source.readInto(target, offset);
  }

  async allocationMap(offset = 0, length = this.size - offset): Promise<Extent[]> {
    checkRange(offset, length, this.size, this.path);
    // Without SEEK_HOLE in Node every byte of a raw file counts as data.
    return length === 0 ? [] : [{ offset, length, kind: 'data' }];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
  }
}

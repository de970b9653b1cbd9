import { HyperkeepError } from '../../../shared/errors';
import { checkRange } from '../io/file-reader';
import { hex, invalidImage } from './binary';
import type { DiskFormat, DiskImage, Extent, ParentReference } from './disk-image';
import { pushExtent } from './disk-image';
import { LruCache, cachedLoad } from './lru-cache';
import type { RawImage } from './raw/raw-image';

/** A compressed unit (qcow2 cluster, VMDK grain) decoded as a whole. */
export interface CompressedBlock {
  /** Unique within the image, e.g. the host offset of the compressed bytes. */
  readonly key: string;
  decode(): Promise<Uint8Array>;
}

/**
 * What the image says about the virtual bytes starting at an offset: the run goes on for
 * `length` bytes (at least 1) with the same answer.
 */
export type Run =
  | { kind: 'data'; length: number; file: RawImage; fileOffset: number }
  | { kind: 'zero'; length: number }
  /** Not allocated here: the parent's bytes show through, or zeros without a parent. */
  | { kind: 'backing'; length: number }
  | { kind: 'compressed'; length: number; block: CompressedBlock; offsetInBlock: number };

/** Decoded compressed blocks kept around: sequential reads of a cluster in pieces decode it once. */
const DECODED_CACHE_ENTRIES = 8;

/**
 * The shared engine of the sparse formats. A format only answers "what is at this offset"
 * (`mapRun`); this class turns runs into reads, merging runs that are contiguous in the same file
 * into one pread and sending unallocated runs to the backing image, and into allocation maps.
 */
export abstract class MappedImage implements DiskImage {
  abstract readonly format: DiskFormat;
  /** Where the parent is, when the image has one; open-image resolves and attaches it. */
  parent: ParentReference | undefined;
  private backingImage: DiskImage | undefined;
  private readonly decoded = new LruCache<string, Promise<Uint8Array>>(DECODED_CACHE_ENTRIES);
  private closed = false;

  protected constructor(
    readonly path: string,
    readonly size: number,
    /** How errors name the image, e.g. "qcow2 image". */
    protected readonly label: string,
    /** Files this image opened and closes. */
    protected readonly files: RawImage[],
  ) {}

  get backing(): DiskImage | undefined {
    return this.backingImage;
  }

  attachBacking(image: DiskImage): void {
    this.backingImage = image;
  }

  /** The run of virtual bytes starting at `offset`, at most `maxLength` long. */
  protected abstract mapRun(offset: number, maxLength: number): Promise<Run>;

  protected fail(detail: string): HyperkeepError {
    return invalidImage(this.label, this.path, detail);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    // readInto writes every byte (data, zeros, parent, decoded), so the buffer need not be zeroed.
    const out = Buffer.allocUnsafe(length);
    await this.readInto(out, offset);
    return out;
  }

  async readInto(target: Uint8Array, offset: number): Promise<void> {
    checkRange(offset, target.length, this.size, this.path);
    if (this.closed) throw new HyperkeepError('INVALID_INPUT', `${this.path} is already closed`);
    // Reads start while mapping continues; the first failure is kept and rethrown at the end
    // (attaching the handler at once keeps a failed read from becoming an unhandled rejection).
    const pending: Promise<void>[] = [];
    let failure: unknown;
    const start = (p: Promise<void>): void => {
      pending.push(p.catch((err: unknown) => void (failure ??= err)));
    };
    let data: { file: RawImage; fileOffset: number; at: number; length: number } | undefined;
    let back: { at: number; length: number } | undefined;
    const flushData = (): void => {
      if (data === undefined) return;
      const { file, fileOffset, at, length } = data;
      if (fileOffset + length > file.size) {
        throw this.fail(
          `data at ${hex(fileOffset)} (${length} bytes) lies beyond the end of ${file.path} (${file.size} bytes)`,
        );
      }
      start(file.readInto(target.subarray(at, at + length), fileOffset));
      data = undefined;
    };
    const flushBacking = (): void => {
      if (back === undefined) return;
      start(this.readBacking(target.subarray(back.at, back.at + back.length), offset + back.at));
      back = undefined;
    };

    let pos = 0;
    while (pos < target.length) {
      const run = await this.mapRun(offset + pos, target.length - pos);
      if (!(run.length > 0 && run.length <= target.length - pos)) {
        throw new HyperkeepError(
          'INTERNAL',
          `${this.label} ${this.path}: bad mapping at ${offset + pos}`,
        );
      }
      if (run.kind !== 'data') flushData();
      if (run.kind !== 'backing') flushBacking();
      if (run.kind === 'data') {
        if (data?.file === run.file && data.fileOffset + data.length === run.fileOffset) {
          data.length += run.length;
        } else {
          flushData();
          data = { file: run.file, fileOffset: run.fileOffset, at: pos, length: run.length };
        }
      } else if (run.kind === 'backing') {
        if (back === undefined) back = { at: pos, length: 0 };
        back.length += run.length;
      } else if (run.kind === 'zero') {
        target.fill(0, pos, pos + run.length);
      } else {
        const at = pos;
        start(this.copyDecoded(run.block, run.offsetInBlock, target.subarray(at, at + run.length)));
      }
      pos += run.length;
    }
    flushData();
    flushBacking();
    await Promise.all(pending);
    if (failure !== undefined) throw failure;
  }

  private async readBacking(target: Uint8Array, offset: number): Promise<void> {
    const parent = this.backingImage;
    // A parent smaller than the child (the child was grown) reads as zeros past its end.
    const inParent =
      parent === undefined ? 0 : Math.max(0, Math.min(target.length, parent.size - offset));
    target.fill(0, inParent);
    if (parent !== undefined && inParent > 0)
      await parent.readInto(target.subarray(0, inParent), offset);
  }

  private async copyDecoded(
    block: CompressedBlock,
    from: number,
    target: Uint8Array,
  ): Promise<void> {
    const bytes = await cachedLoad(this.decoded, block.key, () => block.decode());
    if (from + target.length > bytes.length) {
      throw this.fail(`compressed block ${block.key} decodes to only ${bytes.length} bytes`);
    }
    target.set(bytes.subarray(from, from + target.length));
  }

  async allocationMap(offset = 0, length = this.size - offset): Promise<Extent[]> {
    checkRange(offset, length, this.size, this.path);
    const extents: Extent[] = [];
    const end = offset + length;
    let pos = offset;
    while (pos < end) {
      const run = await this.mapRun(pos, end - pos);
      if (!(run.length > 0 && run.length <= end - pos)) {
        throw new HyperkeepError('INTERNAL', `${this.label} ${this.path}: bad mapping at ${pos}`);
      }
      if (run.kind === 'data' || run.kind === 'compressed')
        pushExtent(extents, pos, run.length, 'data');
      else if (run.kind === 'zero') pushExtent(extents, pos, run.length, 'zero');
      else await this.backingExtents(extents, pos, run.length);
      pos += run.length;
    }
    return extents;
  }

  private async backingExtents(extents: Extent[], offset: number, length: number): Promise<void> {
    const parent = this.backingImage;
    const inParent = parent === undefined ? 0 : Math.max(0, Math.min(length, parent.size - offset));
    if (parent !== undefined && inParent > 0) {
      for (const e of await parent.allocationMap(offset, inParent)) {
        pushExtent(extents, e.offset, e.length, e.kind);
      }
    }
    pushExtent(extents, offset + inParent, length - inParent, 'hole');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const file of new Set(this.files)) await file.close();
    await this.backingImage?.close();
  }
}

import { hex, invalidImage, safeNumber, u64leBig } from '../binary';
import { LruCache, cachedLoad } from '../lru-cache';
import { MappedImage, type Run } from '../mapped-image';
import { openImageFile } from '../open-file';
import { parentCandidates } from '../parent-paths';
import type { RawImage } from '../raw/raw-image';
import { bitRun } from '../sector-bitmap';
import { readVhdxLayout, type VhdxLayout } from './vhdx-structures';

const MiB = 1024 * 1024;
const MAX_BAT_BYTES = 256 * MiB;
const BITMAP_CACHE_ENTRIES = 256;

// Payload block states ([MS-VHDX] 2.5.1.1).
const NOT_PRESENT = 0;
const UNDEFINED = 1;
const ZERO = 2;
const UNMAPPED = 3;
export const FULLY_PRESENT = 6;
const PARTIALLY_PRESENT = 7;
// Sector bitmap block state.
const SB_PRESENT = 6;

/**
 * A VHDX: a block allocation table whose payload entries are interleaved, one per chunk, with
 * sector bitmap entries that say which sectors of a partially present block (differencing disks
 * only) live here and which come from the parent.
 */
export class VhdxImage extends MappedImage {
  readonly format = 'vhdx';
  private readonly chunkRatio: number;
  private readonly sectorsPerBlock: number;
  private readonly bitmaps = new LruCache<number, Promise<Uint8Array>>(BITMAP_CACHE_ENTRIES);

  private constructor(
    private readonly file: RawImage,
    readonly layout: VhdxLayout,
    private readonly bat: Float64Array,
  ) {
    super(file.path, layout.virtualSize, 'vhdx image', [file]);
    this.chunkRatio = (2 ** 23 * layout.logicalSectorSize) / layout.blockSize;
    this.sectorsPerBlock = layout.blockSize / layout.logicalSectorSize;
    if (layout.hasParent) {
      const loc = layout.parentLocator;
      const relative = [loc.get('relative_path')].filter((p) => p !== undefined);
      const absolute = [loc.get('absolute_win32_path'), loc.get('volume_path')].filter(
        (p) => p !== undefined,
      );
      this.parent = { candidates: parentCandidates(relative, absolute), format: 'vhdx' };
    }
  }

  static async open(path: string): Promise<VhdxImage> {
    return openImageFile(path, (file) => VhdxImage.fromFile(file));
  }

  /** Decodes an already opened file (local or streamed); the image owns and closes it. */
  static async fromFile(file: RawImage): Promise<VhdxImage> {
    const layout = await readVhdxLayout(file);
    const chunkRatio = (2 ** 23 * layout.logicalSectorSize) / layout.blockSize;
    const blocks = Math.ceil(layout.virtualSize / layout.blockSize);
    const entries = layout.hasParent
      ? Math.ceil(blocks / chunkRatio) * (chunkRatio + 1)
      : blocks + Math.floor(Math.max(0, blocks - 1) / chunkRatio);
    const bytes = entries * 8;
    if (bytes > layout.batLength || bytes > MAX_BAT_BYTES) {
      throw invalidImage(
        'vhdx image',
        file.path,
        `BAT region of ${layout.batLength} bytes cannot hold ${entries} entries`,
      );
    }
    const raw = await file.read(layout.batOffset, bytes);
    // Entries are kept as numbers: state in the low 3 bits, the file offset in MiB above bit 20.
    const bat = new Float64Array(entries);
    for (let i = 0; i < entries; i++) {
      const v = u64leBig(raw, i * 8);
      const offsetMiB = safeNumber(v >> 20n);
      if (offsetMiB === undefined || !Number.isSafeInteger(offsetMiB * MiB)) {
        throw invalidImage('vhdx image', file.path, `BAT entry ${i} points beyond 2^53`);
      }
      bat[i] = offsetMiB * 8 + Number(v & 7n);
    }
    return new VhdxImage(file, layout, bat);
  }

  protected async mapRun(offset: number, maxLength: number): Promise<Run> {
    const { blockSize, logicalSectorSize } = this.layout;
    const block = Math.floor(offset / blockSize);
    const inBlock = offset - block * blockSize;
    const limit = Math.min(maxLength, blockSize - inBlock);
    const entry = this.bat[block + Math.floor(block / this.chunkRatio)]!;
    const state = entry % 8;
    const blockAt = Math.floor(entry / 8) * MiB;
    switch (state) {
      case NOT_PRESENT:
        return { kind: 'backing', length: limit };
      case UNDEFINED:
      case UNMAPPED:
      case ZERO:
        // Trimmed or zeroed blocks read as zeros; unlike NOT_PRESENT they hide the parent.
        return {
          kind: state === ZERO || this.layout.hasParent ? 'zero' : 'backing',
          length: limit,
        };
      case FULLY_PRESENT:
        return { kind: 'data', file: this.file, fileOffset: blockAt + inBlock, length: limit };
      case PARTIALLY_PRESENT: {
        if (!this.layout.hasParent)
          throw this.fail(`block ${block} is partially present in a disk without parent`);
        const bitmap = await this.blockBitmap(block);
        const first = Math.floor(inBlock / logicalSectorSize);
        const last = Math.floor((inBlock + limit - 1) / logicalSectorSize);
        const run = bitRun(bitmap, first, last - first + 1, false);
        const length = Math.min(limit, (first + run.sectors) * logicalSectorSize - inBlock);
        if (!run.set) return { kind: 'backing', length };
        return { kind: 'data', file: this.file, fileOffset: blockAt + inBlock, length };
      }
      default:
        throw this.fail(`BAT entry of block ${block} has invalid state ${state}`);
    }
  }

  /** The slice of the chunk's sector bitmap block that covers payload block `block`. */
  private blockBitmap(block: number): Promise<Uint8Array> {
    return cachedLoad(this.bitmaps, block, async () => {
      const chunk = Math.floor(block / this.chunkRatio);
      const entry = this.bat[chunk * (this.chunkRatio + 1) + this.chunkRatio];
      if (entry === undefined || entry % 8 !== SB_PRESENT) {
        throw this.fail(
          `block ${block} is partially present but chunk ${chunk} has no sector bitmap`,
        );
      }
      const bytes = this.sectorsPerBlock / 8;
      const at = Math.floor(entry / 8) * MiB + (block % this.chunkRatio) * bytes;
      if (at + bytes > this.file.size)
        throw this.fail(`sector bitmap of chunk ${chunk} at ${hex(at)} beyond end of file`);
      return this.file.read(at, bytes);
    });
  }
}

import { hex, invalidImage, u32be } from '../binary';
import { LruCache, cachedLoad } from '../lru-cache';
import { MappedImage, type Run } from '../mapped-image';
import { openImageFile } from '../open-file';
import { parentCandidates } from '../parent-paths';
import type { RawImage } from '../raw/raw-image';
import { bitRun } from '../sector-bitmap';
import {
  readVhdDynamicHeader,
  readVhdFooter,
  type VhdDynamicHeader,
  type VhdFooter,
} from './vhd-structures';

const SECTOR = 512;
const UNALLOCATED = 0xffffffff;
const MAX_BAT_BYTES = 64 * 1024 * 1024;
const BITMAP_CACHE_ENTRIES = 4096;

/**
 * A VHD ("vpc" in qemu): fixed (the data, then a footer), dynamic (a block allocation table of
 * blocks, each a sector bitmap followed by data) or differencing (a dynamic disk whose clear
 * bitmap bits read from the parent). The virtual size is the footer's current size, as Hyper-V
 * and Windows use it.
 */
export class VhdImage extends MappedImage {
  readonly format = 'vpc';
  private readonly bitmapBytes: number;
  private readonly bitmaps = new LruCache<number, Promise<Uint8Array>>(BITMAP_CACHE_ENTRIES);

  private constructor(
    private readonly file: RawImage,
    readonly footer: VhdFooter,
    private readonly dynamic: VhdDynamicHeader | undefined,
    private readonly bat: Uint32Array,
  ) {
    super(file.path, footer.currentSize, 'vhd image', [file]);
    const blockSectors = (dynamic?.blockSize ?? 0) / SECTOR;
    this.bitmapBytes = Math.ceil(blockSectors / 8 / SECTOR) * SECTOR;
    if (footer.diskType === 'differencing' && dynamic) {
      const relative = dynamic.locators
        .filter((l) => l.code === 'W2ru' || l.code === 'Wi2r')
        .map((l) => l.path);
      const absolute = dynamic.locators
        .filter((l) => !relative.includes(l.path))
        .map((l) => l.path);
      this.parent = {
        candidates: parentCandidates(relative, [...absolute, dynamic.parentName]),
        format: 'vpc',
      };
    }
  }

  static async open(path: string): Promise<VhdImage> {
    return openImageFile(path, (file) => VhdImage.fromFile(file));
  }

  /** Decodes an already opened file (local or streamed); the image owns and closes it. */
  static async fromFile(file: RawImage): Promise<VhdImage> {
    const footer = await readVhdFooter(file);
    if (footer.diskType === 'fixed') {
      if (footer.currentSize > file.size - SECTOR) {
        throw invalidImage(
          'vhd image',
          file.path,
          `fixed disk of ${footer.currentSize} bytes is larger than its file`,
        );
      }
      return new VhdImage(file, footer, undefined, new Uint32Array(0));
    }
    const dynamic = await readVhdDynamicHeader(file, footer);
    const blocks = Math.ceil(footer.currentSize / dynamic.blockSize);
    if (dynamic.maxTableEntries < blocks) {
      throw invalidImage(
        'vhd image',
        file.path,
        `block allocation table of ${dynamic.maxTableEntries} entries cannot map the disk`,
      );
    }
    const batBytes = blocks * 4;
    if (batBytes > MAX_BAT_BYTES || dynamic.tableOffset + batBytes > file.size) {
      throw invalidImage(
        'vhd image',
        file.path,
        `block allocation table at ${hex(dynamic.tableOffset)} beyond end of file`,
      );
    }
    const raw = await file.read(dynamic.tableOffset, batBytes);
    const bat = new Uint32Array(blocks);
    for (let i = 0; i < blocks; i++) bat[i] = u32be(raw, i * 4);
    return new VhdImage(file, footer, dynamic, bat);
  }

  protected async mapRun(offset: number, maxLength: number): Promise<Run> {
    if (this.dynamic === undefined)
      return { kind: 'data', file: this.file, fileOffset: offset, length: maxLength };
    const blockSize = this.dynamic.blockSize;
    const block = Math.floor(offset / blockSize);
    const inBlock = offset - block * blockSize;
    const limit = Math.min(maxLength, blockSize - inBlock);
    const entry = this.bat[block]!;
    if (entry === UNALLOCATED) return { kind: 'backing', length: limit };
    const bitmapAt = entry * SECTOR;
    const bitmap = await this.bitmap(block, bitmapAt);
    // A clear bit means "not written here": zeros in a dynamic disk, the parent's sector in a
    // differencing one — both are what 'backing' does (zeros when there is no parent).
    const firstSector = Math.floor(inBlock / SECTOR);
    const lastSector = Math.floor((inBlock + limit - 1) / SECTOR);
    const run = bitRun(bitmap, firstSector, lastSector - firstSector + 1, true);
    const length = Math.min(limit, (firstSector + run.sectors) * SECTOR - inBlock);
    if (!run.set) return { kind: 'backing', length };
    return {
      kind: 'data',
      file: this.file,
      fileOffset: bitmapAt + this.bitmapBytes + inBlock,
      length,
    };
  }

  private bitmap(block: number, at: number): Promise<Uint8Array> {
    return cachedLoad(this.bitmaps, block, async () => {
      if (at + this.bitmapBytes > this.file.size) {
        throw this.fail(`block ${block}: sector bitmap at ${hex(at)} beyond end of file`);
      }
      return this.file.read(at, this.bitmapBytes);
    });
  }
}

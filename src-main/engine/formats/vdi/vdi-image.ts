import { hex, invalidImage, safeNumber, u32le, u64leBig } from '../binary';
import { MappedImage, type Run } from '../mapped-image';
import { openImageFile } from '../open-file';
import type { RawImage } from '../raw/raw-image';

export const VDI_SIGNATURE = 0xbeda107f;
const TYPE_DYNAMIC = 1;
const TYPE_STATIC = 2;
const FREE = 0xffffffff; // never written: zeros
const DISCARDED = 0xfffffffe; // discarded (trimmed): zeros
const MAX_BLOCK_MAP_BYTES = 64 * 1024 * 1024;
const LABEL = 'vdi image';

/**
 * A VirtualBox VDI (dynamic or static): a block map from virtual blocks (1 MiB by default) to
 * blocks in the data area. Differencing VDIs (snapshots) name their parent only by UUID inside
 * VirtualBox's registry, so they are refused with a clear message.
 */
export class VdiImage extends MappedImage {
  readonly format = 'vdi';

  private constructor(
    private readonly file: RawImage,
    size: number,
    private readonly blockSize: number,
    private readonly blockExtra: number,
    private readonly dataOffset: number,
    private readonly blockMap: Uint32Array,
  ) {
    super(file.path, size, LABEL, [file]);
  }

  static async open(path: string): Promise<VdiImage> {
    return openImageFile(path, (file) => VdiImage.fromFile(file));
  }

  /** Decodes an already opened file (local or streamed); the image owns and closes it. */
  static async fromFile(file: RawImage): Promise<VdiImage> {
    const fail = (d: string): Error => invalidImage(LABEL, file.path, d);
    if (file.size < 512) throw fail('file too short for a VDI header');
    const h = await file.read(0, 512);
    if (u32le(h, 0x40) !== VDI_SIGNATURE) throw fail('no VDI signature at offset 0x40');
    const version = u32le(h, 0x44);
    if (version >>> 16 !== 1) throw fail(`unsupported VDI version ${hex(version)}`);
    const type = u32le(h, 0x4c);
    if (type !== TYPE_DYNAMIC && type !== TYPE_STATIC) {
      const what = type === 4 ? 'a differencing (snapshot) image' : `image type ${type}`;
      throw fail(
        `is ${what}; Hyperkeep reads dynamic and static VDIs — clone the VM's disk in VirtualBox first`,
      );
    }
    const mapOffset = u32le(h, 0x154);
    const dataOffset = u32le(h, 0x158);
    const sectorSize = u32le(h, 0x168);
    const size = safeNumber(u64leBig(h, 0x170));
    const blockSize = u32le(h, 0x178);
    const blockExtra = u32le(h, 0x17c);
    const blocks = u32le(h, 0x180);
    if (size === undefined) throw fail('disk size beyond 2^53 bytes');
    if (sectorSize !== 512) throw fail(`sector size ${sectorSize} is not 512`);
    if (blockSize < 512 || blockSize % 512 !== 0 || blockSize > 256 * 1024 * 1024) {
      throw fail(`block size ${blockSize} is not a multiple of 512 up to 256 MiB`);
    }
    if (blockExtra % 512 !== 0 || blockExtra > blockSize)
      throw fail(`block extra data of ${blockExtra} bytes`);
    if (blocks < Math.ceil(size / blockSize))
      throw fail(`${blocks} blocks cannot hold the ${size}-byte disk`);
    const mapBytes = blocks * 4;
    if (mapBytes > MAX_BLOCK_MAP_BYTES || mapOffset + mapBytes > file.size) {
      throw fail(`block map at ${hex(mapOffset)} (${blocks} entries) beyond end of file`);
    }
    const raw = await file.read(mapOffset, mapBytes);
    const map = new Uint32Array(blocks);
    for (let i = 0; i < blocks; i++) map[i] = u32le(raw, i * 4);
    return new VdiImage(file, size, blockSize, blockExtra, dataOffset, map);
  }

  protected async mapRun(offset: number, maxLength: number): Promise<Run> {
    const block = Math.floor(offset / this.blockSize);
    const inBlock = offset - block * this.blockSize;
    const first = this.blockMap[block]!;
    const limit = Math.min(maxLength, this.size - offset);
    const stride = this.blockSize + this.blockExtra;
    let length = this.blockSize - inBlock;
    // Consecutive blocks stored consecutively are one run, so a static VDI reads in big preads.
    let next = block + 1;
    if (first === FREE || first === DISCARDED) {
      while (
        length < limit &&
        (this.blockMap[next] === FREE || this.blockMap[next] === DISCARDED)
      ) {
        length += this.blockSize;
        next++;
      }
      return { kind: 'backing', length: Math.min(length, limit) };
    }
    if (this.blockExtra === 0) {
      while (length < limit && this.blockMap[next] === first + (next - block)) {
        length += this.blockSize;
        next++;
      }
    }
    const fileOffset = this.dataOffset + first * stride + this.blockExtra + inBlock;
    return { kind: 'data', file: this.file, fileOffset, length: Math.min(length, limit) };
  }
}

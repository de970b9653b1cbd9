import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ascii, hex, invalidImage, u32le } from '../binary';
import { MappedImage, type Run } from '../mapped-image';
import { openImageFile } from '../open-file';
import { RawImage } from '../raw/raw-image';
import {
  MAX_DESCRIPTOR_BYTES,
  looksLikeVmdkDescriptor,
  parseVmdkDescriptor,
  type VmdkDescriptor,
} from './vmdk-descriptor';
import {
  SparseExtent,
  VMDK_SPARSE_MAGIC,
  readSparseHeader,
  type SparseExtentHeader,
} from './sparse-extent';

const SECTOR = 512;
const SINGLE_FILE_TYPES = new Set(['monolithicsparse', 'streamoptimized']);

type ExtentMapper =
  | { kind: 'sparse'; sparse: SparseExtent }
  | { kind: 'flat'; file: RawImage; base: number }
  | { kind: 'zero' };

interface Extent {
  start: number;
  length: number;
  mapper: ExtentMapper;
}

/**
 * A VMDK: a descriptor (its own text file, or embedded in a sparse extent) listing extents that
 * are concatenated into the virtual disk. Covers monolithicSparse, streamOptimized,
 * monolithicFlat, twoGbMaxExtentSparse/Flat, vmfs (flat) and delta disks whose unallocated
 * grains fall through to the parent named by parentFileNameHint.
 */
export class VmdkImage extends MappedImage {
  readonly format = 'vmdk';

  private constructor(
    path: string,
    size: number,
    files: RawImage[],
    private readonly extents: Extent[],
    readonly descriptor: VmdkDescriptor,
  ) {
    super(path, size, 'vmdk image', files);
    if (descriptor.parentFileNameHint !== undefined) {
      this.parent = { candidates: [descriptor.parentFileNameHint], format: 'vmdk' };
    }
  }

  static async open(path: string): Promise<VmdkImage> {
    return openImageFile(path, (first) =>
      VmdkImage.fromFile(first, (name) => openLocalExtent(first, name)),
    );
  }

  /**
   * A VMDK whose descriptor or sparse extent is `first`, wherever it lives (a datastore read over
   * HTTPS): `openSibling` opens an extent file the descriptor names, or returns `first` when the
   * name is `first` itself. On failure the extents opened here are closed, `first` is not.
   */
  static async fromFile(
    first: RawImage,
    openSibling: (name: string) => Promise<RawImage>,
  ): Promise<VmdkImage> {
    const files: RawImage[] = [first];
    try {
      const { descriptor, ownHeader } = await readDescriptor(first);
      // These create types are one file by definition: the extent is `first` even when the file
      // was renamed (uploaded under a VM's disk name) and its descriptor still names the old one.
      const singleFile =
        ownHeader !== undefined && SINGLE_FILE_TYPES.has(descriptor.createType.toLowerCase());
      const opener = singleFile ? () => Promise.resolve(first) : openSibling;
      const extents: Extent[] = [];
      let start = 0;
      for (const line of descriptor.extents) {
        const length = line.sectors * SECTOR;
        if (!Number.isSafeInteger(start + length))
          throw invalidImage('vmdk image', first.path, 'extents too large');
        const mapper = await openExtent(first, ownHeader, line, length, files, opener);
        extents.push({ start, length, mapper });
        start += length;
      }
      return new VmdkImage(first.path, start, files, extents, descriptor);
    } catch (err) {
      for (const f of files.slice(1)) await f.close();
      throw err;
    }
  }

  get createType(): string {
    return this.descriptor.createType;
  }

  protected async mapRun(offset: number, maxLength: number): Promise<Run> {
    let lo = 0;
    let hi = this.extents.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.extents[mid]!.start <= offset) lo = mid;
      else hi = mid - 1;
    }
    const extent = this.extents[lo]!;
    const inExtent = offset - extent.start;
    const limit = Math.min(maxLength, extent.length - inExtent);
    const m = extent.mapper;
    if (m.kind === 'zero') return { kind: 'zero', length: limit };
    if (m.kind === 'flat')
      return { kind: 'data', file: m.file, fileOffset: m.base + inExtent, length: limit };
    return m.sparse.mapRun(inExtent, limit);
  }
}

async function readDescriptor(
  first: RawImage,
): Promise<{ descriptor: VmdkDescriptor; ownHeader?: SparseExtentHeader }> {
  const fail = (d: string): Error => invalidImage('vmdk image', first.path, d);
  const head = await first.read(0, Math.min(first.size, 4096));
  if (head.length >= 4 && u32le(head, 0) === VMDK_SPARSE_MAGIC) {
    const header = await readSparseHeader(first);
    const at = header.descriptorOffsetSectors * SECTOR;
    const bytes = Math.min(header.descriptorSectors * SECTOR, MAX_DESCRIPTOR_BYTES);
    if (at === 0 || bytes === 0) {
      // A sparse extent without an embedded descriptor, opened directly: it is the whole disk.
      const descriptor: VmdkDescriptor = {
        createType: 'monolithicSparse',
        cid: undefined,
        parentCid: undefined,
        parentFileNameHint: undefined,
        extents: [
          {
            access: 'RW',
            sectors: header.capacitySectors,
            type: 'SPARSE',
            file: undefined,
            offsetSectors: 0,
          },
        ],
      };
      return { descriptor, ownHeader: header };
    }
    if (at + bytes > first.size) throw fail(`embedded descriptor at ${hex(at)} beyond end of file`);
    const text = new TextDecoder('latin1').decode(await first.read(at, bytes));
    return { descriptor: parseVmdkDescriptor(text, first.path), ownHeader: header };
  }
  if (ascii(head, 0, 4) === 'COWD') {
    throw fail(
      'ESXi vmfsSparse delta extents (COWD) are not supported; consolidate the snapshot first',
    );
  }
  if (!looksLikeVmdkDescriptor(head)) throw fail('neither a VMDK descriptor nor a sparse extent');
  if (first.size > MAX_DESCRIPTOR_BYTES)
    throw fail(`descriptor file of ${first.size} bytes is too large`);
  const text = new TextDecoder('latin1').decode(await first.read(0, first.size));
  return { descriptor: parseVmdkDescriptor(text, first.path) };
}

/** An extent file next to a local descriptor. */
async function openLocalExtent(first: RawImage, name: string): Promise<RawImage> {
  const dir = dirname(resolve(first.path));
  const extentPath = resolve(dir, name);
  // VMware and qemu keep extents next to their descriptor; a descriptor naming files elsewhere
  // (/etc/shadow as a FLAT extent) would make a backup read whatever it points at.
  const inside = relative(dir, extentPath);
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw invalidImage(
      'vmdk image',
      first.path,
      `extent file "${name}" lies outside the descriptor's directory ${dir}`,
    );
  }
  return extentPath === resolve(first.path) ? first : RawImage.open(extentPath);
}

async function openExtent(
  first: RawImage,
  ownHeader: SparseExtentHeader | undefined,
  line: VmdkDescriptor['extents'][number],
  length: number,
  files: RawImage[],
  openSibling: (name: string) => Promise<RawImage>,
): Promise<ExtentMapper> {
  const fail = (d: string): Error => invalidImage('vmdk image', first.path, d);
  if (line.access === 'NOACCESS') throw fail('has a NOACCESS extent, which cannot be read');
  if (line.type === 'ZERO') return { kind: 'zero' };
  const supported = ['SPARSE', 'FLAT', 'VMFS'];
  if (!supported.includes(line.type)) {
    throw fail(
      `extent type ${line.type} is not supported (Hyperkeep reads ${supported.join(', ')} and ZERO)`,
    );
  }
  let file = first;
  if (line.file !== undefined) {
    file = await openSibling(line.file);
    if (file !== first) files.push(file);
  }
  if (line.type === 'SPARSE') {
    const header = file === first && ownHeader ? ownHeader : await readSparseHeader(file);
    return { kind: 'sparse', sparse: await SparseExtent.open(file, header, length) };
  }
  const base = line.offsetSectors * SECTOR;
  if (base + length > file.size) {
    throw invalidImage(
      'vmdk extent',
      file.path,
      `is ${file.size} bytes, shorter than the ${base + length} bytes the descriptor declares`,
    );
  }
  return { kind: 'flat', file, base };
}

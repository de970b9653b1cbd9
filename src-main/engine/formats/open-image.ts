import { access, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { HyperkeepError } from '../../../shared/errors';
import { hasSignature, u32be, u32le } from './binary';
import type { DiskFormat, DiskImage } from './disk-image';
import { MappedImage } from './mapped-image';
import { QCOW2_MAGIC } from './qcow2/qcow2-header';
import { Qcow2Image } from './qcow2/qcow2-image';
import { RawImage } from './raw/raw-image';
import { VDI_SIGNATURE, VdiImage } from './vdi/vdi-image';
import { VhdImage } from './vhd/vhd-image';
import { VhdxImage } from './vhdx/vhdx-image';
import { VMDK_SPARSE_MAGIC } from './vmdk/sparse-extent';
import { looksLikeVmdkDescriptor } from './vmdk/vmdk-descriptor';
import { VmdkImage } from './vmdk/vmdk-image';

/** One file of a disk's chain, top (the file the VM writes) first, then each parent. */
export interface ChainEntry {
  path: string;
  format: DiskFormat;
  virtualSize: number;
}

export interface OpenedImage {
  /** The virtual disk as the guest sees it, parents included. Closing it closes the chain. */
  reader: DiskImage;
  format: DiskFormat;
  chain: ChainEntry[];
}

export interface OpenImageOptions {
  /**
   * The format when it is known (from the VM's configuration). Prefer passing it: probing a raw
   * disk whose guest wrote, say, a qcow2 header at sector 0 would misread the disk.
   */
  format?: DiskFormat;
  /** Longest parent chain followed; deeper chains (or loops) are refused. */
  maxChainDepth?: number;
}

/** Real chains (snapshots of snapshots) stay far below this; each image keeps its own caches. */
const DEFAULT_MAX_CHAIN_DEPTH = 32;

/** Guesses the format of a disk image file from its magic numbers (or a VMDK text descriptor). */
export async function detectFormat(path: string): Promise<DiskFormat> {
  const file = await RawImage.open(path);
  try {
    const head = await file.read(0, Math.min(file.size, 4096));
    if (head.length >= 4 && u32be(head, 0) === QCOW2_MAGIC) return 'qcow2';
    if (head.length >= 4 && (u32le(head, 0) === VMDK_SPARSE_MAGIC || hasSignature(head, 0, 'COWD')))
      return 'vmdk';
    if (hasSignature(head, 0, 'vhdxfile')) return 'vhdx';
    if (head.length >= 0x44 && u32le(head, 0x40) === VDI_SIGNATURE) return 'vdi';
    if (hasSignature(head, 0, 'conectix')) return 'vpc';
    if (file.size >= 512 && hasSignature(await file.read(file.size - 512, 512), 0, 'conectix'))
      return 'vpc';
    if (file.size <= 1024 * 1024 && looksLikeVmdkDescriptor(head)) return 'vmdk';
    return 'raw';
  } finally {
    await file.close();
  }
}

async function openOne(path: string, format: DiskFormat): Promise<DiskImage> {
  switch (format) {
    case 'raw':
      return RawImage.open(path);
    case 'qcow2':
      return Qcow2Image.open(path);
    case 'vmdk':
      return VmdkImage.open(path);
    case 'vpc':
      return VhdImage.open(path);
    case 'vhdx':
      return VhdxImage.open(path);
    case 'vdi':
      return VdiImage.open(path);
  }
}

/**
 * Opens a disk image and its whole parent chain (qcow2 backing files, VMDK parents, VHD/VHDX
 * parent locators), relative names resolved against the child's directory, loops and overly deep
 * chains refused. The returned reader reads the disk as the guest sees it.
 */
export async function openDiskImage(
  path: string,
  options: OpenImageOptions = {},
): Promise<OpenedImage> {
  const maxDepth = options.maxChainDepth ?? DEFAULT_MAX_CHAIN_DEPTH;
  const topPath = resolve(path);
  const format = options.format ?? (await detectFormat(topPath));
  const top = await openOne(topPath, format);
  const chain: ChainEntry[] = [{ path: topPath, format, virtualSize: top.size }];
  try {
    const seen = new Set([await realpath(topPath)]);
    let child: DiskImage = top;
    while (child instanceof MappedImage && child.parent !== undefined) {
      if (chain.length > maxDepth) {
        throw new HyperkeepError(
          'INVALID_INPUT',
          `Disk image ${topPath} has a chain of more than ${maxDepth} parent images; refusing to follow it`,
        );
      }
      const parentPath = await findParent(child);
      const real = await realpath(parentPath);
      if (seen.has(real)) {
        throw new HyperkeepError(
          'INVALID_INPUT',
          `Disk image ${child.path} names ${parentPath} as its parent, which is already in its chain (a loop)`,
        );
      }
      seen.add(real);
      const parentFormat = child.parent.format ?? (await detectFormat(parentPath));
      const parent = await openOne(parentPath, parentFormat);
      child.attachBacking(parent);
      chain.push({ path: parentPath, format: parentFormat, virtualSize: parent.size });
      child = parent;
    }
  } catch (err) {
    await top.close();
    throw err;
  }
  return { reader: top, format, chain };
}

async function findParent(child: MappedImage): Promise<string> {
  const candidates = child.parent?.candidates ?? [];
  for (const name of candidates) {
    if (name.startsWith('json:') || /^[a-z][a-z0-9+.-]*:\/\//i.test(name)) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Disk image ${child.path} has its parent on "${name}", which is not a local file`,
      );
    }
    const p = isAbsolute(name) ? name : resolve(dirname(child.path), name);
    try {
      await access(p);
      return p;
    } catch {
      // try the next candidate
    }
  }
  const shown = candidates.length === 0 ? '(no name recorded)' : candidates.join(', ');
  throw new HyperkeepError(
    'NOT_FOUND',
    `Parent image of ${child.path} not found (looked for ${shown}); copy the whole chain together`,
    { path: child.path, candidates },
  );
}

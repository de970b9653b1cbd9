import { HyperkeepError } from '../../../../shared/errors';
import { QCOW2_MAGIC } from '../qcow2/qcow2-header';
import { PlacedImageWriter } from './image-writer';
import type { PartialFile } from './partial-file';

/*
 * A qcow2 version 3 image (https://qemu.org/docs/interop/qcow2.html) with 64 KiB clusters:
 *
 *   cluster 0        header (+ end-of-extensions marker)
 *   cluster 1..      L1 table
 *   then, in write order, each L2 table followed by the data clusters it maps
 *   at the end       refcount table, then refcount blocks (16-bit refcounts)
 *
 * Writes arrive in increasing order, so only the L2 table being filled is held in memory; it is
 * written when the first cluster of the next table arrives. Every cluster of the file is used
 * exactly once, so at the end every refcount is 1 and the refcount structures (which count
 * themselves) follow from the file's length alone: `qemu-img check` finds no leaks.
 */

/** One cluster per 64 KiB write piece: a piece maps to exactly one L2 entry. */
const CLUSTER_BITS = 16;
const CLUSTER = 1 << CLUSTER_BITS;
const L2_ENTRIES = CLUSTER / 8;
/** refcount_order 4: 16-bit refcounts, qemu's default. */
const REFCOUNT_ORDER = 4;
const REFCOUNTS_PER_BLOCK = CLUSTER / 2;
const REFCOUNT_TABLE_ENTRIES_PER_CLUSTER = CLUSTER / 8;
/** Version 3 header up to the compression type byte, padded to 8 as qemu writes it. */
const HEADER_LENGTH = 112;
/** qemu refuses L1 tables above 32 MiB (QCOW_MAX_L1_SIZE), i.e. disks above 2 PiB here. */
const MAX_L1_BYTES = 32 * 1024 * 1024;
/** "Refcount is exactly one": qemu-img check reports entries whose flag disagrees with it. */
const OFLAG_COPIED = 1n << 63n;

export class Qcow2Writer extends PlacedImageWriter {
  /** Host offsets of the L2 tables (0: none). */
  private readonly l1: Float64Array;
  private readonly l1Clusters: number;
  /** The next free cluster of the file. */
  private nextCluster: number;
  private current: { l1Index: number; table: Buffer } | undefined;

  private constructor(
    file: PartialFile,
    sizeBytes: number,
    private readonly virtualSize: number,
  ) {
    super(file, sizeBytes);
    this.l1 = new Float64Array(l1Entries(virtualSize));
    this.l1Clusters = Math.max(1, Math.ceil((this.l1.length * 8) / CLUSTER));
    this.nextCluster = 1 + this.l1Clusters;
  }

  /** Throws when the disk is too large for the format, before any file is created. */
  static checkSize(virtualSize: number): void {
    if (l1Entries(virtualSize) * 8 > MAX_L1_BYTES) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `A ${virtualSize}-byte disk is too large for a qcow2 image with 64 KiB clusters`,
      );
    }
  }

  static create(file: PartialFile, sizeBytes: number, virtualSize: number): Qcow2Writer {
    return new Qcow2Writer(file, sizeBytes, virtualSize);
  }

  protected async place(offset: number): Promise<number> {
    const cluster = offset / CLUSTER;
    const l1Index = Math.floor(cluster / L2_ENTRIES);
    if (this.current?.l1Index !== l1Index) {
      await this.writeCurrentL2();
      this.l1[l1Index] = this.allocate();
      this.current = { l1Index, table: Buffer.alloc(CLUSTER) };
    }
    const host = this.allocate();
    this.current.table.writeBigUInt64BE(BigInt(host) | OFLAG_COPIED, (cluster % L2_ENTRIES) * 8);
    return host;
  }

  private allocate(): number {
    return this.nextCluster++ * CLUSTER;
  }

  private async writeCurrentL2(): Promise<void> {
    if (this.current === undefined) return;
    await this.file.write(this.l1[this.current.l1Index]!, this.current.table);
    this.current = undefined;
  }

  protected async finalize(): Promise<void> {
    await this.writeCurrentL2();
    const used = this.nextCluster;
    const { tableClusters, blocks } = refcountLayout(used);
    const tableAt = used * CLUSTER;
    const firstBlock = used + tableClusters;
    const total = firstBlock + blocks;

    const table = Buffer.alloc(blocks * 8);
    for (let b = 0; b < blocks; b++)
      table.writeBigUInt64BE(BigInt((firstBlock + b) * CLUSTER), b * 8);
    await this.file.write(tableAt, table);
    // Every cluster of the file, refcount structures included, is referenced exactly once.
    const ones = refcountBlock(REFCOUNTS_PER_BLOCK);
    for (let b = 0; b < blocks; b++) {
      const counted = Math.min(REFCOUNTS_PER_BLOCK, total - b * REFCOUNTS_PER_BLOCK);
      const block = counted === REFCOUNTS_PER_BLOCK ? ones : refcountBlock(counted);
      await this.file.write((firstBlock + b) * CLUSTER, block);
    }

    const l1 = Buffer.alloc(this.l1.length * 8);
    for (let i = 0; i < this.l1.length; i++) {
      const at = this.l1[i]!;
      if (at !== 0) l1.writeBigUInt64BE(BigInt(at) | OFLAG_COPIED, i * 8);
    }
    await this.file.write(CLUSTER, l1);
    await this.file.write(0, this.header(tableAt, tableClusters));
    await this.file.truncate(total * CLUSTER);
  }

  private header(refcountTableAt: number, refcountTableClusters: number): Buffer {
    const h = Buffer.alloc(HEADER_LENGTH + 8); // + the end-of-extensions marker (type 0, length 0)
    h.writeUInt32BE(QCOW2_MAGIC, 0);
    h.writeUInt32BE(3, 4); // version
    // 8: backing file offset, 16: its length — none
    h.writeUInt32BE(CLUSTER_BITS, 20);
    h.writeBigUInt64BE(BigInt(this.virtualSize), 24);
    // 32: no encryption
    h.writeUInt32BE(this.l1.length, 36);
    h.writeBigUInt64BE(BigInt(CLUSTER), 40); // L1 table offset
    h.writeBigUInt64BE(BigInt(refcountTableAt), 48);
    h.writeUInt32BE(refcountTableClusters, 56);
    // 60: no snapshots; 72..95: no incompatible (not dirty), compatible or autoclear features
    h.writeUInt32BE(REFCOUNT_ORDER, 96);
    h.writeUInt32BE(HEADER_LENGTH, 100);
    // 104: compression type 0 (zlib, unused: nothing is compressed)
    return h;
  }
}

/** A refcount block saying 1 for its first `counted` clusters and 0 (free) for the rest. */
function refcountBlock(counted: number): Buffer {
  const block = Buffer.alloc(CLUSTER);
  for (let i = 0; i < counted; i++) block.writeUInt16BE(1, i * 2);
  return block;
}

function l1Entries(virtualSize: number): number {
  return Math.ceil(virtualSize / (CLUSTER * L2_ENTRIES));
}

/**
 * Refcount table and blocks for a file of `used` clusters plus themselves: grows both until they
 * cover their own clusters too (two or three rounds at most).
 */
function refcountLayout(used: number): { tableClusters: number; blocks: number } {
  let blocks = 0;
  let tableClusters = 0;
  for (let round = 0; round < 16; round++) {
    const total = used + tableClusters + blocks;
    const needBlocks = Math.ceil(total / REFCOUNTS_PER_BLOCK);
    const needTable = Math.ceil(needBlocks / REFCOUNT_TABLE_ENTRIES_PER_CLUSTER);
    if (needBlocks === blocks && needTable === tableClusters) return { tableClusters, blocks };
    blocks = needBlocks;
    tableClusters = needTable;
  }
  throw new HyperkeepError('INTERNAL', `qcow2 refcount layout for ${used} clusters did not settle`);
}

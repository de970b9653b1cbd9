import { fsError } from '../binary';
import type { BlockCache } from '../block-cache';
import type { FatGeometry } from './boot-sector';

/** FAT bytes are read in windows of this size: a cluster chain walk stays in memory. */
const WINDOW = 64 * 1024;

/** Reads the file allocation table and follows cluster chains, bounded and loop-checked. */
export class FatTable {
  private window?: { start: number; bytes: Uint8Array };
  private readonly endOfChain: number;
  private readonly maxCluster: number;

  constructor(
    private readonly cache: BlockCache,
    private readonly geo: FatGeometry,
  ) {
    this.endOfChain = geo.bits === 12 ? 0xff8 : geo.bits === 16 ? 0xfff8 : 0x0ffffff8;
    this.maxCluster = geo.clusterCount + 1;
  }

  isCluster(n: number): boolean {
    return n >= 2 && n <= this.maxCluster;
  }

  /** The FAT entry of cluster n: the next cluster, or an end/bad/free marker. */
  async next(n: number): Promise<number> {
    const { bits } = this.geo;
    const at = bits === 12 ? n + (n >> 1) : (n * bits) / 8;
    const width = bits === 32 ? 4 : 2;
    const bytes = await this.bytesAt(at, width);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bits === 32) return view.getUint32(0, true) & 0x0fffffff;
    const raw = view.getUint16(0, true);
    if (bits === 16) return raw;
    // FAT12 packs two entries in three bytes: odd clusters take the high 12 bits.
    return n & 1 ? raw >> 4 : raw & 0x0fff;
  }

  /**
   * The clusters of a chain from `first`, at most `limit` of them (the caller knows how many a
   * file needs). A chain that revisits a cluster, points outside the volume or at a free or bad
   * cluster is corrupt.
   */
  async chain(
    first: number,
    limit: number,
    what: string,
    mustReachLimit: boolean,
  ): Promise<number[]> {
    const clusters: number[] = [];
    if (limit === 0) return clusters;
    if (limit > this.geo.clusterCount) {
      throw fsError(
        'FAT',
        what,
        `needs ${limit} clusters, more than the volume has (${this.geo.clusterCount})`,
      );
    }
    const seen = new VisitedClusters(this.maxCluster);
    let current = first;
    for (;;) {
      if (!this.isCluster(current)) {
        throw fsError(
          'FAT',
          what,
          `has a cluster chain reaching cluster ${current} (valid: 2..${this.maxCluster})`,
        );
      }
      if (!seen.add(current))
        throw fsError('FAT', what, `has a cluster chain that loops back to cluster ${current}`);
      clusters.push(current);
      if (clusters.length >= limit) return clusters;
      const next = await this.next(current);
      if (next >= this.endOfChain) break;
      current = next;
    }
    if (mustReachLimit) {
      throw fsError(
        'FAT',
        what,
        `has a cluster chain of ${clusters.length} clusters, too short for its size (${limit})`,
      );
    }
    return clusters;
  }

  clusterOffset(cluster: number): number {
    return this.geo.dataOffset + (cluster - 2) * this.geo.clusterSize;
  }

  private async bytesAt(at: number, width: number): Promise<Uint8Array> {
    const w = this.window;
    if (!w || at < w.start || at + width > w.start + w.bytes.length) {
      const start = Math.floor(at / WINDOW) * WINDOW;
      // A few spare bytes so a FAT12 entry straddling the window edge is still inside it.
      const length = Math.min(WINDOW + 4, this.geo.fatBytes - start);
      const bytes = await this.cache.read(
        this.geo.fatOffset + start,
        length,
        'file allocation table',
      );
      this.window = { start, bytes };
    }
    const win = this.window!;
    return win.bytes.subarray(at - win.start, at - win.start + width);
  }
}

/** Loop detection: a small set for short chains, one bit per cluster once a chain gets long. */
class VisitedClusters {
  private small: Set<number> | undefined = new Set();
  private bits: Uint8Array | undefined;

  constructor(private readonly maxCluster: number) {}

  /** False when the cluster was already visited. */
  add(cluster: number): boolean {
    if (this.small) {
      if (this.small.has(cluster)) return false;
      this.small.add(cluster);
      if (this.small.size <= 1024) return true;
      this.bits = new Uint8Array((this.maxCluster >> 3) + 1);
      for (const c of this.small) this.bits[c >> 3]! |= 1 << (c & 7);
      this.small = undefined;
      return true;
    }
    const bits = this.bits!;
    const mask = 1 << (cluster & 7);
    if ((bits[cluster >> 3]! & mask) !== 0) return false;
    bits[cluster >> 3]! |= mask;
    return true;
  }
}

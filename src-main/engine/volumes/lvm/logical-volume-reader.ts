import { HyperkeepError } from '../../../../shared/errors';
import { checkRange } from '../../io/file-reader';
import type { RandomAccessReader, ReaderPiece } from '../../io/random-access';
import type { LogicalVolume, Segment, VolumeGroup } from './volume-group';

const SECTOR = 512;

interface MappedSegment {
  start: number;
  end: number;
  segment: Segment;
  /** Byte offset of each stripe's first extent on its PV, with that PV's reader. */
  stripes: { reader: RandomAccessReader; base: number }[];
}

/**
 * Reads a linear or striped logical volume through the physical volumes that hold it. Built only
 * for LVs whose segments are all readable and whose PVs are all present (see lvm-volumes.ts).
 */
export class LogicalVolumeReader implements RandomAccessReader {
  readonly size: number;
  private readonly segments: MappedSegment[] = [];

  constructor(
    vg: VolumeGroup,
    lv: LogicalVolume,
    /** Readers of the VG's PVs, by the metadata's PV key. */
    pvReaders: Map<string, RandomAccessReader>,
    readonly name: string,
  ) {
    const extentBytes = vg.extentSectors * SECTOR;
    const fail = (d: string): Error =>
      new HyperkeepError('INVALID_INPUT', `LVM logical volume ${name}: ${d}`);
    for (const segment of lv.segments) {
      const start = segment.startExtent * extentBytes;
      const end = start + segment.extentCount * extentBytes;
      if (!Number.isSafeInteger(end)) throw fail('size beyond 2^53 bytes');
      const perStripe =
        segment.stripes.length > 0 ? segment.extentCount / segment.stripes.length : 0;
      const stripes = segment.stripes.map((s) => {
        const pv = vg.pvs.get(s.pv);
        const reader = pvReaders.get(s.pv);
        if (pv === undefined || reader === undefined)
          throw fail(`physical volume ${s.pv} is missing`);
        if (s.startExtent + perStripe > pv.peCount)
          throw fail(`stripe on ${s.pv} runs past its ${pv.peCount} extents`);
        const base = pv.peStartSectors * SECTOR + s.startExtent * extentBytes;
        if (base + perStripe * extentBytes > reader.size)
          throw fail(`stripe on ${s.pv} runs past the end of the volume`);
        return { reader, base };
      });
      this.segments.push({ start, end, segment, stripes });
    }
    this.size = lv.extentCount * extentBytes;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(offset, length, this.size, this.name);
    const out = new Uint8Array(length);
    await Promise.all(
      this.pieces(offset, length).map(({ reader, at, length: n, lvOffset }) =>
        reader.read(at, n).then((b) => out.set(b, lvOffset - offset)),
      ),
    );
    return out;
  }

  sourcesOf(offset: number, length: number): ReaderPiece[] {
    checkRange(offset, length, this.size, this.name);
    return this.pieces(offset, length).map(({ reader, at, length: n }) => ({
      reader,
      offset: at,
      length: n,
    }));
  }

  /** The PV reads that make up [offset, offset+length); zero segments have none (all zeros). */
  private pieces(
    offset: number,
    length: number,
  ): { reader: RandomAccessReader; at: number; length: number; lvOffset: number }[] {
    const out: { reader: RandomAccessReader; at: number; length: number; lvOffset: number }[] = [];
    let pos = offset;
    while (pos < offset + length) {
      const seg = this.segmentAt(pos);
      const inSeg = pos - seg.start;
      let piece = Math.min(offset + length, seg.end) - pos;
      const { segment, stripes } = seg;
      if (segment.type === 'zero') {
        // reads as zeros: nothing underneath
      } else if (stripes.length === 1) {
        const s = stripes[0]!;
        out.push({ reader: s.reader, at: s.base + inSeg, length: piece, lvOffset: pos });
      } else {
        const chunk = segment.stripeSectors * SECTOR;
        const index = Math.floor(inSeg / chunk);
        const inChunk = inSeg % chunk;
        piece = Math.min(piece, chunk - inChunk);
        const s = stripes[index % stripes.length]!;
        const where = s.base + Math.floor(index / stripes.length) * chunk + inChunk;
        out.push({ reader: s.reader, at: where, length: piece, lvOffset: pos });
      }
      pos += piece;
    }
    return out;
  }

  private segmentAt(pos: number): MappedSegment {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.start <= pos) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo]!;
  }

  async close(): Promise<void> {
    // The PVs belong to whoever listed the volumes; an LV only borrows them.
  }
}

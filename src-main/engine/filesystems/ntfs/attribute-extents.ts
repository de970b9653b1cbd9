import { fsError } from '../binary';
import type { FileExtent, VolumeRun } from '../filesystem';
import { ATTR_FLAG, type Attribute } from './mft-record';
import type { Run } from './runlist';

/**
 * Maps one attribute (all its segments: a large file's $DATA can be split over several MFT
 * records) to file extents: data runs, sparse runs and the tail past the valid data length as
 * holes, and LZNT1 compression units.
 */
export function attributeExtents(
  segments: readonly Attribute[],
  clusterSize: number,
  what: string,
): FileExtent[] {
  const first = segments[0];
  if (!first) return [];
  if (first.value) {
    const data = first.value;
    return data.length === 0 ? [] : [{ kind: 'inline', fileOffset: 0, length: data.length, data }];
  }
  const runs = joinSegments(segments, what);
  const size = first.dataSize;
  if ((first.flags & ATTR_FLAG.compressed) !== 0 && first.compressionUnit > 0) {
    if (first.compressionUnit > 8) {
      throw fsError('NTFS', what, `has a compression unit of 2^${first.compressionUnit} clusters`);
    }
    return compressedExtents(runs, clusterSize, 2 ** first.compressionUnit, size);
  }
  const out: FileExtent[] = [];
  const valid = Math.min(first.initializedSize, size);
  for (const run of runs) {
    const start = run.vcn * clusterSize;
    if (start >= size) break;
    const end = Math.min(size, start + run.length * clusterSize);
    if (run.lcn === null || start >= valid) {
      pushHole(out, start, end);
      continue;
    }
    // Past the initialized size the clusters hold garbage: Windows reads zeros there.
    const dataEnd = Math.min(end, valid);
    out.push({
      kind: 'data',
      fileOffset: start,
      length: dataEnd - start,
      volumeOffset: run.lcn * clusterSize,
    });
    if (dataEnd < end) pushHole(out, dataEnd, end);
  }
  const covered =
    out.length === 0 ? 0 : out[out.length - 1]!.fileOffset + out[out.length - 1]!.length;
  if (covered < size) pushHole(out, covered, size);
  return out;
}

/** Concatenates the run lists of an attribute's segments, checking they follow each other. */
function joinSegments(segments: readonly Attribute[], what: string): Run[] {
  const sorted = [...segments].sort((a, b) => a.lowestVcn - b.lowestVcn);
  const runs: Run[] = [];
  let next = 0;
  for (const segment of sorted) {
    if (segment.value) throw fsError('NTFS', what, 'mixes resident and non-resident segments');
    if (segment.lowestVcn !== next) {
      throw fsError(
        'NTFS',
        what,
        `has a segment starting at VCN ${segment.lowestVcn}, expected ${next}`,
      );
    }
    for (const run of segment.runs) runs.push(run);
    const last = segment.runs[segment.runs.length - 1];
    if (last) next = last.vcn + last.length;
  }
  return runs;
}

function pushHole(out: FileExtent[], from: number, to: number): void {
  if (to <= from) return;
  const last = out[out.length - 1];
  if (last?.kind === 'hole' && last.fileOffset + last.length === from)
    last.length = to - last.fileOffset;
  else out.push({ kind: 'hole', fileOffset: from, length: to - from });
}

/**
 * Compressed attributes work in units of 16 clusters: a unit whose clusters are all allocated is
 * stored plain, one with a sparse tail holds LZNT1 data in its allocated head, an all-sparse one
 * is zeros. Whole units inside one run are handled at once so huge sparse files stay cheap.
 */
function compressedExtents(
  runs: readonly Run[],
  clusterSize: number,
  unit: number,
  size: number,
): FileExtent[] {
  const out: FileExtent[] = [];
  const totalVcns = Math.ceil(size / clusterSize);
  let index = 0;
  const runAt = (vcn: number): Run | undefined => {
    while (index < runs.length && runs[index]!.vcn + runs[index]!.length <= vcn) index++;
    const run = runs[index];
    return run && run.vcn <= vcn ? run : undefined;
  };
  const bytes = (vcn: number): number => Math.min(size, vcn * clusterSize);
  let vcn = 0;
  while (vcn < totalVcns) {
    const unitEnd = vcn + unit;
    const run = runAt(vcn);
    const runEnd = run ? run.vcn + run.length : (runs[index]?.vcn ?? Infinity);
    if (runEnd >= unitEnd) {
      // One run (or one gap) covers whole units: plain data or zeros.
      const end = Math.min(
        vcn + Math.floor((runEnd - vcn) / unit) * unit,
        Math.ceil(totalVcns / unit) * unit,
      );
      if (!run || run.lcn === null) pushHole(out, bytes(vcn), bytes(end));
      else {
        const volumeOffset = (run.lcn + vcn - run.vcn) * clusterSize;
        out.push({
          kind: 'data',
          fileOffset: bytes(vcn),
          length: bytes(end) - bytes(vcn),
          volumeOffset,
        });
      }
      vcn = end;
      continue;
    }
    const stored: VolumeRun[] = [];
    let sparse = false;
    for (let v = vcn; v < unitEnd;) {
      const piece = runAt(v);
      const pieceEnd = Math.min(
        unitEnd,
        piece ? piece.vcn + piece.length : (runs[index]?.vcn ?? unitEnd),
      );
      if (!piece || piece.lcn === null) sparse = true;
      else
        stored.push({
          volumeOffset: (piece.lcn + v - piece.vcn) * clusterSize,
          length: (pieceEnd - v) * clusterSize,
        });
      v = pieceEnd;
    }
    if (stored.length === 0) pushHole(out, bytes(vcn), bytes(unitEnd));
    else if (!sparse) {
      let at = vcn * clusterSize;
      for (const s of stored) {
        if (at >= size) break;
        out.push({
          kind: 'data',
          fileOffset: at,
          length: Math.min(s.length, size - at),
          volumeOffset: s.volumeOffset,
        });
        at += s.length;
      }
    } else
      out.push({
        kind: 'lznt1',
        fileOffset: bytes(vcn),
        length: bytes(unitEnd) - bytes(vcn),
        runs: stored,
      });
    vcn = unitEnd;
  }
  return out;
}

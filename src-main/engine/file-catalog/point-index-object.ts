import { z } from 'zod';
import { GuestOs, PointVolume } from '../../../shared/domain/files';
import { HyperkeepError } from '../../../shared/errors';
import { TYPE_CODES, storedAttributes, type CatalogRecord } from './catalog-record';

/**
 * A point's file index as stored in the repository (`catalogs/<point id>`, see
 * docs/repository-format.md): UTF-8 lines. Line 1 is a JSON header; every other line is one
 * record as a JSON array
 *   [volume, parent, name, type, size, mtimeMs, mode, uid, gid, owner, acl, link, attrs, fsId, extents]
 * where `volume` indexes header.volumes, `parent` is the position of the parent folder's record
 * among that volume's records (-1 for the root), `type` 0 file 1 dir 2 symlink 3 other, and
 * `extents` is the base64 of encodeExtents() or null. Records of a volume are contiguous and
 * come parents first, so the catalog can be rebuilt in one pass.
 */
const Header = z.object({
  format: z.literal('hyperkeep-file-index'),
  version: z.literal(1),
  point: z.string(),
  volumes: z.array(PointVolume),
  accounts: z.object({
    users: z.record(z.string(), z.string()),
    groups: z.record(z.string(), z.string()),
  }),
  guest: GuestOs.nullable(),
});
export type PointIndexHeader = z.infer<typeof Header>;

const nullable = <T extends z.ZodType>(t: T) => t.nullable();
const Line = z.tuple([
  z.number().int().nonnegative(),
  z.number().int().min(-1),
  z.string(),
  z.number().int().min(0).max(3),
  z.number().nonnegative(),
  nullable(z.number()),
  nullable(z.number().int().nonnegative()),
  nullable(z.number().int().nonnegative()),
  nullable(z.number().int().nonnegative()),
  nullable(z.string()),
  nullable(z.string()),
  nullable(z.string()),
  nullable(z.string()),
  z.number().int().nonnegative(),
  nullable(z.string()),
]);

/** One record's line (without its newline), `volume` being its index in the header's volumes. */
export function encodeRecordLine(volume: number, r: CatalogRecord): string {
  return JSON.stringify([
    volume,
    r.parent,
    r.name,
    TYPE_CODES.indexOf(r.type),
    ...storedAttributes(r),
    // A view, not a copy: 66k files made 66k short-lived buffers here.
    r.extents
      ? Buffer.from(r.extents.buffer, r.extents.byteOffset, r.extents.byteLength).toString('base64')
      : null,
  ]);
}

/** Collects a point's records while volumes are walked; `finish` adds the header. */
export class PointIndexEncoder {
  private readonly parts: Buffer[] = [];
  private pending: string[] = [];
  private pendingChars = 0;

  /** Adds the records of a volume's batch; returns their lines (each a JSON array). */
  add(volume: number, records: readonly CatalogRecord[]): string[] {
    const lines: string[] = [];
    for (const r of records) {
      const line = encodeRecordLine(volume, r);
      lines.push(line);
      this.pending.push(line);
      this.pendingChars += line.length + 1;
      // Flush to a Buffer every ~1 MB: millions of small strings cost more than their bytes.
      if (this.pendingChars > 1 << 20) this.flush();
    }
    return lines;
  }

  /**
   * Adds a volume's lines already encoded (point-index-splice.ts): whole lines, each ending in
   * '\n', that name the volume's slot in this point's header. Kept as given, not copied.
   */
  addLines(chunks: readonly Buffer[]): void {
    this.flush();
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      if (chunk[chunk.length - 1] !== 0x0a)
        throw new HyperkeepError('INTERNAL', 'Encoded file index lines must end with a newline');
      this.parts.push(chunk);
    }
  }

  /** Where the next volume starts, to drop it again if its walk fails halfway. */
  mark(): number {
    this.flush();
    return this.parts.length;
  }

  rollback(mark: number): void {
    this.pending = [];
    this.pendingChars = 0;
    this.parts.length = Math.min(mark, this.parts.length);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.parts.push(Buffer.from(`${this.pending.join('\n')}\n`, 'utf8'));
    this.pending = [];
    this.pendingChars = 0;
  }

  finish(header: Omit<PointIndexHeader, 'format' | 'version'>): Uint8Array {
    this.flush();
    const head = Buffer.from(
      `${JSON.stringify({ format: 'hyperkeep-file-index', version: 1, ...header })}\n`,
    );
    return Buffer.concat([head, ...this.parts]);
  }
}

export interface DecodedPointIndex {
  header: PointIndexHeader;
  /** Records of each volume (by header.volumes index), in stream order. */
  records(): Iterable<{ volume: number; record: CatalogRecord }>;
}

function damaged(pointId: string, what: string): HyperkeepError {
  return new HyperkeepError(
    'INTERNAL',
    `The file index of restore point ${pointId} is damaged: ${what}`,
    { reason: 'CORRUPT', point: pointId },
  );
}

export function decodePointIndex(data: Uint8Array, pointId: string): DecodedPointIndex {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const firstEnd = buf.indexOf(0x0a);
  if (firstEnd < 0) throw damaged(pointId, 'it has no header line');
  let header: PointIndexHeader;
  try {
    header = Header.parse(JSON.parse(buf.subarray(0, firstEnd).toString('utf8')));
  } catch (err) {
    throw damaged(pointId, `its header does not parse (${(err as Error).message.slice(0, 200)})`);
  }
  if (header.point !== pointId) throw damaged(pointId, `it describes point ${header.point}`);
  return {
    header,
    *records() {
      let start = firstEnd + 1;
      let lineNo = 1;
      while (start < buf.length) {
        let end = buf.indexOf(0x0a, start);
        if (end < 0) end = buf.length;
        lineNo++;
        let fields: z.infer<typeof Line>;
        try {
          fields = Line.parse(JSON.parse(buf.subarray(start, end).toString('utf8')));
        } catch {
          throw damaged(pointId, `line ${lineNo} is not a file record`);
        }
        start = end + 1;
        if (fields[0] >= header.volumes.length)
          throw damaged(pointId, `line ${lineNo} names volume ${fields[0]}, which does not exist`);
        yield {
          volume: fields[0],
          record: {
            parent: fields[1],
            name: fields[2],
            type: TYPE_CODES[fields[3]]!,
            size: fields[4],
            mtimeMs: fields[5],
            mode: fields[6],
            uid: fields[7],
            gid: fields[8],
            owner: fields[9],
            acl: fields[10],
            link: fields[11],
            attrs: fields[12],
            fsId: fields[13],
            extents: fields[14] === null ? null : Buffer.from(fields[14], 'base64'),
          },
        };
      }
    },
  };
}

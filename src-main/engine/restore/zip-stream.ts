import { crc32 } from 'node:zlib';
import { filePieces } from './file-pieces';
import type { PointFileSource } from './point-file-source';
import type { PlannedItem, RestorePlan } from './restore-plan';
import { SKIPPED_LIST_NAME } from './tar-stream';

/**
 * A restore plan as a ZIP stream: entries stored (no compression — VM data is mostly compressed
 * or encrypted already, and storing keeps the download as fast as the repository), UTF-8 names,
 * CRC-32 and sizes in data descriptors after each entry, Zip64 records when a file or the archive
 * passes 4 GiB. Unix modes are kept in the external attributes; symlinks are stored as links.
 */

const U32_MAX = 0xffffffff;
const HOLE_PIECE = new Uint8Array(1024 * 1024);
const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const VERSION_MADE_BY_UNIX = (3 << 8) | 45;

interface CentralRecord {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
  dosTime: number;
  dosDate: number;
  externalAttributes: number;
  zip64: boolean;
}

function dosDateTime(date: Date | undefined): { dosTime: number; dosDate: number } {
  const d =
    date && date.getUTCFullYear() >= 1980 && date.getUTCFullYear() <= 2107
      ? date
      : new Date(Date.UTC(1980, 0, 1));
  return {
    dosTime: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    dosDate: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

function localHeader(r: CentralRecord): Buffer {
  const extra = r.zip64 ? Buffer.alloc(20) : Buffer.alloc(0);
  if (r.zip64) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(16, 2); // sizes stay 0 here: they follow in the data descriptor
  }
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(r.zip64 ? 45 : 20, 4);
  h.writeUInt16LE(FLAG_DATA_DESCRIPTOR | FLAG_UTF8, 6);
  h.writeUInt16LE(0, 8); // stored
  h.writeUInt16LE(r.dosTime, 10);
  h.writeUInt16LE(r.dosDate, 12);
  h.writeUInt32LE(0, 14);
  h.writeUInt32LE(r.zip64 ? U32_MAX : 0, 18);
  h.writeUInt32LE(r.zip64 ? U32_MAX : 0, 22);
  h.writeUInt16LE(r.name.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, r.name, extra]);
}

function dataDescriptor(r: CentralRecord): Buffer {
  const d = Buffer.alloc(r.zip64 ? 24 : 16);
  d.writeUInt32LE(0x08074b50, 0);
  d.writeUInt32LE(r.crc, 4);
  if (r.zip64) {
    d.writeBigUInt64LE(BigInt(r.size), 8);
    d.writeBigUInt64LE(BigInt(r.size), 16);
  } else {
    d.writeUInt32LE(r.size, 8);
    d.writeUInt32LE(r.size, 12);
  }
  return d;
}

function centralHeader(r: CentralRecord): Buffer {
  const bigSize = r.size >= U32_MAX;
  const bigOffset = r.offset >= U32_MAX;
  const fields = [...(bigSize ? [r.size, r.size] : []), ...(bigOffset ? [r.offset] : [])];
  const extra = Buffer.alloc(fields.length > 0 ? 4 + 8 * fields.length : 0);
  if (fields.length > 0) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8 * fields.length, 2);
    fields.forEach((v, i) => extra.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  }
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(VERSION_MADE_BY_UNIX, 4);
  h.writeUInt16LE(r.zip64 || bigOffset ? 45 : 20, 6);
  h.writeUInt16LE(FLAG_DATA_DESCRIPTOR | FLAG_UTF8, 8);
  h.writeUInt16LE(0, 10);
  h.writeUInt16LE(r.dosTime, 12);
  h.writeUInt16LE(r.dosDate, 14);
  h.writeUInt32LE(r.crc, 16);
  h.writeUInt32LE(bigSize ? U32_MAX : r.size, 20);
  h.writeUInt32LE(bigSize ? U32_MAX : r.size, 24);
  h.writeUInt16LE(r.name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt16LE(0, 32);
  h.writeUInt16LE(0, 34);
  h.writeUInt16LE(0, 36);
  h.writeUInt32LE(r.externalAttributes >>> 0, 38);
  h.writeUInt32LE(bigOffset ? U32_MAX : r.offset, 42);
  return Buffer.concat([h, r.name, extra]);
}

function endRecords(entries: number, cdOffset: number, cdSize: number): Buffer {
  const needZip64 = entries >= 0xffff || cdOffset >= U32_MAX || cdSize >= U32_MAX;
  const parts: Buffer[] = [];
  if (needZip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE(VERSION_MADE_BY_UNIX, 12);
    z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(entries), 24);
    z.writeBigUInt64LE(BigInt(entries), 32);
    z.writeBigUInt64LE(BigInt(cdSize), 40);
    z.writeBigUInt64LE(BigInt(cdOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(z, locator);
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0);
  e.writeUInt16LE(Math.min(entries, 0xffff), 8);
  e.writeUInt16LE(Math.min(entries, 0xffff), 10);
  e.writeUInt32LE(Math.min(cdSize, U32_MAX), 12);
  e.writeUInt32LE(Math.min(cdOffset, U32_MAX), 16);
  parts.push(e);
  return Buffer.concat(parts);
}

function recordOf(item: PlannedItem, offset: number): CentralRecord {
  const e = item.entry;
  const isDir = e.type === 'dir';
  const unixType = isDir ? 0o040000 : e.type === 'symlink' ? 0o120000 : 0o100000;
  const mode = e.mode ?? (isDir ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644);
  const size =
    e.type === 'file'
      ? e.size
      : e.type === 'symlink'
        ? Buffer.byteLength(e.symlinkTarget ?? '')
        : 0;
  return {
    name: Buffer.from(`${item.target.join('/')}${isDir ? '/' : ''}`, 'utf8'),
    crc: 0,
    size,
    offset,
    ...dosDateTime(e.mtime),
    externalAttributes: (((unixType | (mode & 0o7777)) << 16) >>> 0) | (isDir ? 0x10 : 0),
    zip64: size >= U32_MAX,
  };
}

/** The ZIP archive of a plan, piece by piece. */
export async function* zipStream(
  source: PointFileSource,
  plan: RestorePlan,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const records: CentralRecord[] = [];
  let offset = 0;
  const emit = function* (data: Uint8Array, record?: CentralRecord): Generator<Uint8Array> {
    if (record) record.crc = crc32(data, record.crc);
    offset += data.length;
    yield data;
  };
  const entries: { record: CentralRecord; body: () => AsyncGenerator<Uint8Array> }[] = [];
  for (const item of plan.items) {
    entries.push({
      record: recordOf(item, 0),
      body: async function* () {
        if (item.entry.type === 'symlink')
          yield Buffer.from(item.entry.symlinkTarget ?? '', 'utf8');
        if (item.entry.type !== 'file') return;
        let at = 0;
        for await (const piece of filePieces(source, item.entry, signal)) {
          for (let left = piece.offset - at; left > 0; left -= HOLE_PIECE.length)
            yield HOLE_PIECE.subarray(0, Math.min(left, HOLE_PIECE.length));
          yield piece.data;
          at = piece.offset + piece.data.length;
        }
        for (let left = item.entry.size - at; left > 0; left -= HOLE_PIECE.length)
          yield HOLE_PIECE.subarray(0, Math.min(left, HOLE_PIECE.length));
      },
    });
  }
  if (plan.skipped.length > 0) {
    const text = Buffer.from(
      `Items of the selection that are not in this archive:\n${plan.skipped.map((s) => `${s.path}\t${s.reason}\n`).join('')}`,
      'utf8',
    );
    entries.push({
      record: {
        name: Buffer.from(SKIPPED_LIST_NAME),
        crc: 0,
        size: text.length,
        offset: 0,
        ...dosDateTime(new Date()),
        externalAttributes: (0o100644 << 16) >>> 0,
        zip64: false,
      },
      body: async function* () {
        yield text;
      },
    });
  }
  for (const { record, body } of entries) {
    if (signal?.aborted) throw signal.reason;
    record.offset = offset;
    yield* emit(localHeader(record));
    for await (const data of body()) yield* emit(data, record);
    yield* emit(dataDescriptor(record));
    records.push(record);
  }
  const cdOffset = offset;
  for (const r of records) yield* emit(centralHeader(r));
  yield endRecords(records.length, cdOffset, offset - cdOffset);
}

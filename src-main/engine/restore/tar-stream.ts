import { filePieces } from './file-pieces';
import type { PointFileSource } from './point-file-source';
import type { PlannedItem, RestorePlan } from './restore-plan';

/**
 * A restore plan as a POSIX tar stream (ustar headers, pax extended headers for long or
 * non-ASCII names, long link targets and sizes past 8 GiB). Names are the plan's checked target
 * paths, so an archive never holds "..", an absolute path or a hostile component. Skipped items
 * are listed in a final text file, HYPERKEEP-SKIPPED.txt, so the download says what it lacks.
 */

const BLOCK = 512;
const ZERO_BLOCK = new Uint8Array(BLOCK);
/** Largest size/mtime an 11-digit octal field holds. */
const MAX_OCTAL_11 = 0o77777777777;
const HOLE_PIECE = new Uint8Array(1024 * 1024);
export const SKIPPED_LIST_NAME = 'HYPERKEEP-SKIPPED.txt';

interface TarHeader {
  name: string;
  type: '0' | '2' | '5' | 'x';
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname?: string;
}

function isPlainAscii(text: string, max: number): boolean {
  return text.length <= max && /^[\x20-\x7e]*$/.test(text);
}

function writeString(block: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  block.set(bytes.subarray(0, length), offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  const digits = Math.max(0, Math.min(value, 8 ** (length - 1) - 1))
    .toString(8)
    .padStart(length - 1, '0');
  writeString(block, offset, length - 1, digits);
}

function headerBlock(h: TarHeader): Uint8Array {
  const block = new Uint8Array(BLOCK);
  writeString(block, 0, 100, h.name);
  writeOctal(block, 100, 8, h.mode & 0o7777);
  writeOctal(block, 108, 8, h.uid);
  writeOctal(block, 116, 8, h.gid);
  writeOctal(block, 124, 12, h.size);
  writeOctal(block, 136, 12, h.mtime);
  block.fill(0x20, 148, 156);
  block[156] = h.type.charCodeAt(0);
  if (h.linkname) writeString(block, 157, 100, h.linkname);
  writeString(block, 257, 6, 'ustar');
  writeString(block, 263, 2, '00');
  let sum = 0;
  for (const b of block) sum += b;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body, 'utf8');
  // The length prefix counts its own digits: grow until stable (at most twice).
  for (let i = 0; i < 3; i++) {
    const total = Buffer.byteLength(`${length}${body}`, 'utf8');
    if (total === length) break;
    length = total;
  }
  return `${length}${body}`;
}

function padding(size: number): Uint8Array {
  const rest = size % BLOCK;
  return rest === 0 ? new Uint8Array(0) : ZERO_BLOCK.subarray(0, BLOCK - rest);
}

/** Header blocks of one entry: a pax header first when ustar cannot hold its name or size. */
function entryHeaders(h: TarHeader): Uint8Array[] {
  const records: string[] = [];
  if (!isPlainAscii(h.name, 100)) records.push(paxRecord('path', h.name));
  if (h.linkname !== undefined && !isPlainAscii(h.linkname, 100))
    records.push(paxRecord('linkpath', h.linkname));
  if (h.size > MAX_OCTAL_11) records.push(paxRecord('size', String(h.size)));
  const out: Uint8Array[] = [];
  if (records.length > 0) {
    const body = Buffer.from(records.join(''), 'utf8');
    out.push(
      headerBlock({
        name: 'PaxHeader',
        type: 'x',
        size: body.length,
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: h.mtime,
      }),
      body,
      padding(body.length),
    );
  }
  out.push(
    headerBlock({
      ...h,
      // Readers take the pax path; the ustar field keeps an ASCII-safe fallback.
      name: isPlainAscii(h.name, 100) ? h.name : h.name.replace(/[^\x20-\x7e]/g, '_').slice(-99),
      ...(h.linkname !== undefined
        ? { linkname: isPlainAscii(h.linkname, 100) ? h.linkname : '' }
        : {}),
    }),
  );
  return out;
}

function headerOf(item: PlannedItem): TarHeader {
  const e = item.entry;
  const name = item.target.join('/');
  const base = {
    uid: e.uid ?? 0,
    gid: e.gid ?? 0,
    mtime: Math.max(0, Math.floor((e.mtime?.getTime() ?? 0) / 1000)),
  };
  if (e.type === 'dir')
    return { ...base, name: `${name}/`, type: '5', size: 0, mode: e.mode ?? 0o755 };
  if (e.type === 'symlink')
    return {
      ...base,
      name,
      type: '2',
      size: 0,
      mode: e.mode ?? 0o777,
      linkname: e.symlinkTarget ?? '',
    };
  return { ...base, name, type: '0', size: e.size, mode: e.mode ?? 0o644 };
}

/** The tar archive of a plan, block by block; reading ahead happens per file as for a restore. */
export async function* tarStream(
  source: PointFileSource,
  plan: RestorePlan,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  for (const item of plan.items) {
    if (signal?.aborted) throw signal.reason;
    const header = headerOf(item);
    yield* entryHeaders(header);
    if (header.type !== '0') continue;
    let at = 0;
    for await (const piece of filePieces(source, item.entry, signal)) {
      yield* zeros(piece.offset - at);
      yield piece.data;
      at = piece.offset + piece.data.length;
    }
    yield* zeros(item.entry.size - at);
    yield padding(item.entry.size);
  }
  if (plan.skipped.length > 0) {
    const text = Buffer.from(
      `Items of the selection that are not in this archive:\n${plan.skipped.map((s) => `${s.path}\t${s.reason}\n`).join('')}`,
      'utf8',
    );
    yield* entryHeaders({
      name: SKIPPED_LIST_NAME,
      type: '0',
      size: text.length,
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: Math.floor(Date.now() / 1000),
    });
    yield text;
    yield padding(text.length);
  }
  yield ZERO_BLOCK;
  yield ZERO_BLOCK;
}

function* zeros(length: number): Generator<Uint8Array> {
  for (let left = length; left > 0; left -= HOLE_PIECE.length)
    yield HOLE_PIECE.subarray(0, Math.min(left, HOLE_PIECE.length));
}

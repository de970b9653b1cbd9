import { ByteView } from '../binary';

export const FAT_ATTR = {
  readOnly: 0x1,
  hidden: 0x2,
  system: 0x4,
  volumeId: 0x8,
  directory: 0x10,
  archive: 0x20,
} as const;
const LFN_ATTR = 0x0f;
const LFN_LAST = 0x40;
const DELETED = 0xe5;
/** Byte offsets of the 13 UTF-16 characters inside a long-name entry. */
const LFN_CHARS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

export interface FatDirEntry {
  name: string;
  attributes: number;
  firstCluster: number;
  size: number;
  created?: Date;
  modified?: Date;
  accessed?: Date;
  /** Byte position of the short entry within the directory's bytes. */
  position: number;
}

/** Code page 437 for bytes 0x80-0xff of short names (the DOS default and Linux's vfat default). */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/**
 * Parses 32-byte directory entries, joining VFAT long names (checked against the short name's
 * checksum, so a long name orphaned by an old DOS tool is ignored). Deleted entries, '.', '..'
 * and the volume label are skipped; the label is reported separately.
 */
export function parseFatDirectory(
  bytes: Uint8Array,
  what: string,
): { entries: FatDirEntry[]; label?: string } {
  const v = new ByteView(bytes, 'FAT', what);
  const entries: FatDirEntry[] = [];
  let label: string | undefined;
  let lfn: { parts: string[]; checksum: number; expect: number } | undefined;
  for (let pos = 0; pos + 32 <= bytes.length; pos += 32) {
    const first = v.u8(pos);
    if (first === 0) break; // end of directory: nothing after it is in use
    const attr = v.u8(pos + 11);
    if (first === DELETED) {
      lfn = undefined;
      continue;
    }
    if ((attr & 0x3f) === LFN_ATTR) {
      const order = first & 0x1f;
      const checksum = v.u8(pos + 13);
      if ((first & LFN_LAST) !== 0) lfn = { parts: [], checksum, expect: order };
      if (!lfn || order !== lfn.expect || order === 0 || checksum !== lfn.checksum) {
        lfn = undefined;
        continue;
      }
      lfn.parts[order - 1] = longNamePart(v, pos);
      lfn.expect = order - 1;
      continue;
    }
    const raw = v.sub(pos, 11);
    const longName =
      lfn && lfn.expect === 0 && lfn.checksum === shortNameChecksum(raw)
        ? lfn.parts.join('')
        : undefined;
    lfn = undefined;
    if ((attr & FAT_ATTR.volumeId) !== 0) {
      if ((attr & FAT_ATTR.directory) === 0) label = decodeShortName(raw, 0, false).trimEnd();
      continue;
    }
    const name = longName ?? decodeShortName(raw, v.u8(pos + 12), true);
    if (name === '.' || name === '..') continue;
    const entry: FatDirEntry = {
      name,
      attributes: attr,
      firstCluster: v.u16(pos + 20) * 0x10000 + v.u16(pos + 26),
      size: v.u32(pos + 28),
      position: pos,
    };
    const created = fatDate(v.u16(pos + 16), v.u16(pos + 14), v.u8(pos + 13));
    const modified = fatDate(v.u16(pos + 24), v.u16(pos + 22), 0);
    const accessed = fatDate(v.u16(pos + 18), 0, 0);
    if (created) entry.created = created;
    if (modified) entry.modified = modified;
    if (accessed) entry.accessed = accessed;
    entries.push(entry);
  }
  return label === undefined ? { entries } : { entries, label };
}

function longNamePart(v: ByteView, pos: number): string {
  let out = '';
  for (const at of LFN_CHARS) {
    const c = v.u16(pos + at);
    if (c === 0 || c === 0xffff) break;
    out += String.fromCharCode(c);
  }
  return out;
}

export function shortNameChecksum(raw: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + raw[i]!) & 0xff;
  return sum;
}

/** "README  TXT" → "README.TXT"; NT's lower-case flags (byte 12) give "readme.txt". */
function decodeShortName(raw: Uint8Array, caseFlags: number, withDot: boolean): string {
  const chars = Array.from(raw, (b, i) => (i === 0 && b === 0x05 ? 0xe5 : b)).map((b) =>
    b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]!,
  );
  if (!withDot) return chars.join('');
  let base = chars.slice(0, 8).join('').trimEnd();
  let ext = chars.slice(8, 11).join('').trimEnd();
  if (caseFlags & 0x08) base = base.toLowerCase();
  if (caseFlags & 0x10) ext = ext.toLowerCase();
  return ext === '' ? base : `${base}.${ext}`;
}

/**
 * FAT stores local time with no zone; we read it as UTC so the wall-clock digits stay what the
 * guest showed. The time has 2-second resolution, refined by the creation 10 ms counter.
 */
function fatDate(date: number, time: number, tenMs: number): Date | undefined {
  if (date === 0) return undefined;
  const day = date & 0x1f;
  const month = (date >> 5) & 0x0f;
  if (day === 0 || month === 0 || month > 12) return undefined;
  const ms = Date.UTC(
    1980 + (date >> 9),
    month - 1,
    day,
    time >> 11,
    (time >> 5) & 0x3f,
    (time & 0x1f) * 2,
  );
  return new Date(ms + Math.min(tenMs, 199) * 10);
}

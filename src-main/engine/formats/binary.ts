import { HyperkeepError } from '../../../shared/errors';

/**
 * Little helpers for decoding on-disk structures. Everything here assumes the input is hostile:
 * 64-bit fields beyond what a JavaScript number holds exactly are reported, never rounded.
 */

/** The error every format and volume parser throws for a broken or unsupported structure. */
export function invalidImage(label: string, path: string, detail: string): HyperkeepError {
  return new HyperkeepError('INVALID_INPUT', `${label} ${path}: ${detail}`, { path });
}

export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function u16le(b: Uint8Array, at: number): number {
  return view(b).getUint16(at, true);
}
export function u32le(b: Uint8Array, at: number): number {
  return view(b).getUint32(at, true);
}
export function u16be(b: Uint8Array, at: number): number {
  return view(b).getUint16(at, false);
}
export function u32be(b: Uint8Array, at: number): number {
  return view(b).getUint32(at, false);
}
export function u64leBig(b: Uint8Array, at: number): bigint {
  return view(b).getBigUint64(at, true);
}
export function u64beBig(b: Uint8Array, at: number): bigint {
  return view(b).getBigUint64(at, false);
}

/** A 64-bit field as a number, or `undefined` when it does not fit exactly (callers then reject). */
export function safeNumber(v: bigint): number | undefined {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
}

export function ascii(b: Uint8Array, at: number, length: number): string {
  let s = '';
  for (let i = at; i < at + length && i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** UTF-16 text up to the first NUL code unit. */
export function utf16(b: Uint8Array, at: number, length: number, littleEndian: boolean): string {
  const units: number[] = [];
  const dv = view(b);
  for (let i = at; i + 1 < at + length && i + 1 < b.length; i += 2) {
    const unit = dv.getUint16(i, littleEndian);
    if (unit === 0) break;
    units.push(unit);
  }
  return String.fromCharCode(...units);
}

/**
 * A GUID stored in the mixed-endian layout of GPT and VHDX (first three fields little-endian),
 * formatted as upper-case text: C12A7328-F81F-11D2-BA4B-00A0C93EC93B.
 */
export function guidMixedEndian(b: Uint8Array, at: number): string {
  const h = (i: number): string => b[at + i]!.toString(16).padStart(2, '0');
  const s =
    h(3) +
    h(2) +
    h(1) +
    h(0) +
    '-' +
    h(5) +
    h(4) +
    '-' +
    h(7) +
    h(6) +
    '-' +
    h(8) +
    h(9) +
    '-' +
    h(10) +
    h(11) +
    h(12) +
    h(13) +
    h(14) +
    h(15);
  return s.toUpperCase();
}

export function isAllZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Byte-wise match of `expected` (an ASCII signature) at `at`. */
export function hasSignature(b: Uint8Array, at: number, expected: string): boolean {
  if (at + expected.length > b.length) return false;
  for (let i = 0; i < expected.length; i++) if (b[at + i] !== expected.charCodeAt(i)) return false;
  return true;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), the checksum of VHDX headers, region and log entries. */
export function crc32c(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC32C_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

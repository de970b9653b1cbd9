import { HyperkeepError } from '../../../shared/errors';

/** The one error a file-system parser raises for broken on-disk data. */
export function fsError(
  fs: string,
  structure: string,
  problem: string,
  details?: Record<string, unknown>,
): HyperkeepError {
  return new HyperkeepError('INVALID_INPUT', `${fs}: ${structure} ${problem}`, details);
}

const utf8 = new TextDecoder('utf-8');
const utf16 = new TextDecoder('utf-16le');

/**
 * Little-endian fields of one on-disk structure. Every access is bounds-checked so a corrupt
 * offset becomes an error naming the structure instead of a RangeError or a silent undefined.
 */
export class ByteView {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly fs: string,
    readonly structure: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  fail(problem: string): HyperkeepError {
    return fsError(this.fs, this.structure, problem);
  }

  private check(offset: number, size: number): void {
    if (!(offset >= 0 && offset + size <= this.bytes.length)) {
      throw this.fail(
        `has a field at byte ${offset} (+${size}) outside its ${this.bytes.length} bytes`,
      );
    }
  }

  u8(offset: number): number {
    this.check(offset, 1);
    return this.view.getUint8(offset);
  }
  i8(offset: number): number {
    this.check(offset, 1);
    return this.view.getInt8(offset);
  }
  u16(offset: number): number {
    this.check(offset, 2);
    return this.view.getUint16(offset, true);
  }
  u32(offset: number): number {
    this.check(offset, 4);
    return this.view.getUint32(offset, true);
  }
  i32(offset: number): number {
    this.check(offset, 4);
    return this.view.getInt32(offset, true);
  }
  u64big(offset: number): bigint {
    this.check(offset, 8);
    return this.view.getBigUint64(offset, true);
  }
  /** A 64-bit count or offset; values past 2^53 cannot be real on any disk we read. */
  u64(offset: number, field = 'a 64-bit field'): number {
    const value = this.u64big(offset);
    if (value > BigInt(Number.MAX_SAFE_INTEGER))
      throw this.fail(`has ${field} too large: ${value}`);
    return Number(value);
  }
  /** Big-endian fields (XFS stores everything big-endian). */
  u16be(offset: number): number {
    this.check(offset, 2);
    return this.view.getUint16(offset, false);
  }
  u32be(offset: number): number {
    this.check(offset, 4);
    return this.view.getUint32(offset, false);
  }
  i32be(offset: number): number {
    this.check(offset, 4);
    return this.view.getInt32(offset, false);
  }
  u64bigbe(offset: number): bigint {
    this.check(offset, 8);
    return this.view.getBigUint64(offset, false);
  }
  /** A big-endian 64-bit count or offset; past 2^53 it cannot be real. */
  u64be(offset: number, field = 'a 64-bit field'): number {
    const value = this.u64bigbe(offset);
    if (value > BigInt(Number.MAX_SAFE_INTEGER))
      throw this.fail(`has ${field} too large: ${value}`);
    return Number(value);
  }
  sub(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
  child(offset: number, length: number, structure: string): ByteView {
    return new ByteView(this.sub(offset, length), this.fs, structure);
  }
  ascii(offset: number, length: number): string {
    return String.fromCharCode(...this.sub(offset, length));
  }
  utf8(offset: number, length: number): string {
    return utf8.decode(this.sub(offset, length));
  }
  utf16(offset: number, chars: number): string {
    return utf16.decode(this.sub(offset, chars * 2));
  }
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Formats 16 bytes as a lowercase RFC 4122 UUID string (byte order as stored). */
export function formatUuid(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

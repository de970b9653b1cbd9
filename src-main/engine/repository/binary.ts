/** A structure in a repository object is malformed; the message names the structure and offset. */
export class FormatError extends Error {}

/** Growable little-endian writer for the repository's binary structures. */
export class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
    return this;
  }

  /** Integers up to 2^53 (disk offsets), stored as u64. */
  u64(v: number): this {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Bounds-checked reader: every read names what it was reading when the data runs out. */
export class ByteReader {
  private readonly view: DataView;
  pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new FormatError(
        `${this.what} is truncated: ${field} at offset ${this.pos} needs ${n} bytes, ${this.remaining} left`,
      );
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.pos++);
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(field: string): number {
    this.need(8, field);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new FormatError(`${this.what}: ${field} ${v} is out of range`);
    return Number(v);
  }

  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A count of records of `recordSize` bytes that must fit in what is left. */
  count(recordSize: number, field: string): number {
    const n = this.u32(field);
    if (n * recordSize > this.remaining) {
      throw new FormatError(
        `${this.what}: ${field} says ${n} records of ${recordSize} bytes, only ${this.remaining} bytes left`,
      );
    }
    return n;
  }

  expectMagic(magic: string): void {
    const got = Buffer.from(this.bytes(magic.length, 'magic')).toString('latin1');
    if (got !== magic)
      throw new FormatError(
        `${this.what} does not start with ${magic} (found ${JSON.stringify(got)})`,
      );
  }

  expectEnd(): void {
    if (this.remaining !== 0)
      throw new FormatError(`${this.what} has ${this.remaining} unexpected trailing bytes`);
  }
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

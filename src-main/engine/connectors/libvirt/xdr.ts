/**
 * XDR (RFC 4506) as libvirt's rpcgen-generated code speaks it: big-endian 4-byte units, strings
 * and variable opaques prefixed by their length and padded to 4 bytes.
 *
 * The reader never trusts a length it reads: every length is checked against the structure's own
 * maximum (the `<N>` of the .x file) and against the bytes actually left in the message before
 * anything is allocated, so a hostile peer cannot make us reserve gigabytes.
 */

/** A malformed or oversized XDR value; the RPC layer turns it into a HyperkeepError. */
export class XdrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XdrError';
  }
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const UINT32_MAX = 0xffff_ffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

export class XdrWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.alloc(initialSize);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  int(value: number): this {
    if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
      throw new XdrError(`XDR int out of range: ${value}`);
    }
    this.reserve(4);
    this.buf.writeInt32BE(value, this.len);
    this.len += 4;
    return this;
  }

  uint(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
      throw new XdrError(`XDR unsigned int out of range: ${value}`);
    }
    this.reserve(4);
    this.buf.writeUInt32BE(value, this.len);
    this.len += 4;
    return this;
  }

  hyper(value: bigint | number): this {
    const v = BigInt(value);
    if (v < INT64_MIN || v > INT64_MAX) throw new XdrError(`XDR hyper out of range: ${v}`);
    this.reserve(8);
    this.buf.writeBigInt64BE(v, this.len);
    this.len += 8;
    return this;
  }

  uhyper(value: bigint | number): this {
    const v = BigInt(value);
    if (v < 0n || v > UINT64_MAX) throw new XdrError(`XDR unsigned hyper out of range: ${v}`);
    this.reserve(8);
    this.buf.writeBigUInt64BE(v, this.len);
    this.len += 8;
    return this;
  }

  bool(value: boolean): this {
    return this.int(value ? 1 : 0);
  }

  /** Fixed-length opaque (`opaque x[N]`): exactly `length` bytes, padded. */
  fixedOpaque(data: Uint8Array, length: number): this {
    if (data.length !== length) {
      throw new XdrError(`XDR fixed opaque must be ${length} bytes, got ${data.length}`);
    }
    this.raw(data);
    return this;
  }

  /** Variable-length opaque (`opaque x<max>`). */
  opaque(data: Uint8Array, max: number): this {
    if (data.length > max) throw new XdrError(`XDR opaque of ${data.length} bytes exceeds ${max}`);
    this.uint(data.length);
    this.raw(data);
    return this;
  }

  string(value: string, max: number): this {
    return this.opaque(Buffer.from(value, 'utf8'), max);
  }

  /** Optional data (`T *x`): a boolean "present" flag, then the value. */
  optional<T>(value: T | null | undefined, write: (w: this, v: T) => void): this {
    if (value === null || value === undefined) return this.bool(false);
    this.bool(true);
    write(this, value);
    return this;
  }

  /** Variable-length array (`T x<max>`). */
  array<T>(items: readonly T[], max: number, write: (w: this, item: T) => void): this {
    if (items.length > max) throw new XdrError(`XDR array of ${items.length} items exceeds ${max}`);
    this.uint(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  private raw(data: Uint8Array): void {
    const padding = pad4(data.length);
    this.reserve(data.length + padding);
    this.buf.set(data, this.len);
    this.buf.fill(0, this.len + data.length, this.len + data.length + padding);
    this.len += data.length + padding;
  }

  get length(): number {
    return this.len;
  }

  /** A copy of what was written. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

export class XdrReader {
  private pos = 0;

  /** `what` names the structure in error messages ("reply to DOMAIN_GET_XML_DESC"). */
  constructor(
    private readonly buf: Buffer,
    private readonly what = 'XDR data',
  ) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) {
      throw new XdrError(
        `${this.what} is truncated: ${field} needs ${n} bytes at offset ${this.pos}, ` +
          `only ${this.remaining} left`,
      );
    }
  }

  int(): number {
    this.need(4, 'int');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint(): number {
    this.need(4, 'unsigned int');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  hyper(): bigint {
    this.need(8, 'hyper');
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  uhyper(): bigint {
    this.need(8, 'unsigned hyper');
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** An unsigned hyper that must fit a JS number exactly (byte counts, KiB counts, versions). */
  uhyperNumber(field = 'unsigned hyper'): number {
    const v = this.uhyper();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new XdrError(`${this.what}: ${field} ${v} is larger than this client can represent`);
    }
    return Number(v);
  }

  bool(): boolean {
    const v = this.int();
    if (v !== 0 && v !== 1) throw new XdrError(`${this.what}: boolean has value ${v}`);
    return v === 1;
  }

  fixedOpaque(length: number): Buffer {
    this.need(length + pad4(length), `opaque[${length}]`);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + length));
    this.pos += length + pad4(length);
    return out;
  }

  opaque(max: number, field = 'opaque'): Buffer {
    const length = this.uint();
    if (length > max) {
      throw new XdrError(`${this.what}: ${field} length ${length} exceeds its limit of ${max}`);
    }
    return this.fixedOpaque(length);
  }

  string(max: number, field = 'string'): string {
    return this.opaque(max, field).toString('utf8');
  }

  optional<T>(read: (r: this) => T): T | null {
    return this.bool() ? read(this) : null;
  }

  /**
   * Variable-length array. Every XDR item takes at least 4 bytes, so a count larger than a quarter
   * of what is left is a lie we can reject before looping.
   */
  array<T>(max: number, read: (r: this) => T, field = 'array'): T[] {
    const count = this.uint();
    if (count > max) {
      throw new XdrError(
        `${this.what}: ${field} has ${count} items, more than its limit of ${max}`,
      );
    }
    if (count * 4 > this.remaining) {
      throw new XdrError(
        `${this.what}: ${field} claims ${count} items but only ${this.remaining} bytes are left`,
      );
    }
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(read(this));
    return out;
  }

  /** Fixed-length array (`T x[N]`), e.g. rpcgen's `char model[32]` (one 4-byte unit per char). */
  fixedArray<T>(count: number, read: (r: this) => T): T[] {
    this.need(count * 4, `array[${count}]`);
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(read(this));
    return out;
  }

  /** Replies must be consumed exactly: trailing bytes mean we decoded the wrong structure. */
  end(): void {
    if (this.remaining !== 0) {
      throw new XdrError(`${this.what} has ${this.remaining} unexpected trailing bytes`);
    }
  }
}

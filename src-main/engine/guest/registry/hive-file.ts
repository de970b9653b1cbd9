import { HyperkeepError } from '../../../../shared/errors';

/**
 * The storage layer of a Windows registry hive (regf): the base block, the hive bins and the
 * cells inside them. Everything is read lazily through a small page cache, because a SOFTWARE
 * hive can hold 100 MB while guest detection needs a few dozen cells of it. Every offset comes
 * from the file and is checked before use; errors name the hive and the structure.
 */

/** Where the hive's bytes come from: a file inside a guest file system, or memory. */
export interface HiveSource {
  readonly size: number;
  /** Up to `length` bytes at `offset`; short only at the end of the file. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export const BASE_BLOCK_SIZE = 0x1000;
const PAGE = 0x1000;
const HBIN_HEADER = 0x20;
/** Pages kept in memory: 1 MiB, plenty for walking a few keys. */
const CACHE_PAGES = 256;
/** Hive bins are at most this far from a cell they contain (Windows writes bins of ≤ 1 MiB). */
const MAX_HBIN_PAGES = 4096;
/** No real hive is larger; a bigger "hive" is something else. */
const MAX_HIVE_BYTES = 2 * 1024 * 1024 * 1024;

export function hiveError(hive: string, structure: string, problem: string): HyperkeepError {
  return new HyperkeepError('INVALID_INPUT', `Registry hive ${hive}: ${structure} ${problem}`, {
    hive,
  });
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export interface BaseBlock {
  /** Sequence numbers differ when Windows was stopped mid-write (the log was not replayed). */
  dirty: boolean;
  majorVersion: number;
  minorVersion: number;
  /** Offset of the root key's cell, relative to the first hive bin. */
  rootCell: number;
  /** Bytes of hive bins after the base block. */
  binsSize: number;
}

/** A cell's payload (after its 4-byte size) and where it sits. */
export interface Cell {
  offset: number;
  data: DataView;
  bytes: Uint8Array;
}

export class HiveFile {
  private readonly pages = new Map<number, Promise<Uint8Array>>();
  /** Start → size of hive bins already validated. */
  private readonly bins = new Map<number, number>();
  /** Page → start of the hive bin covering it. */
  private readonly binOfPage = new Map<number, number>();

  private constructor(
    readonly name: string,
    private readonly source: HiveSource,
    readonly base: BaseBlock,
  ) {}

  static async open(source: HiveSource, name: string): Promise<HiveFile> {
    if (source.size < BASE_BLOCK_SIZE + PAGE) {
      throw hiveError(name, 'file', `is ${source.size} bytes, too small for a hive`);
    }
    if (source.size > MAX_HIVE_BYTES) {
      throw hiveError(name, 'file', `is ${source.size} bytes, larger than any registry hive`);
    }
    const block = await source.read(0, BASE_BLOCK_SIZE);
    if (block.length < BASE_BLOCK_SIZE) throw hiveError(name, 'base block', 'is truncated');
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    const u32 = (at: number): number => view.getUint32(at, true);
    if (String.fromCharCode(...block.subarray(0, 4)) !== 'regf') {
      throw hiveError(name, 'base block', 'has no "regf" signature: not a registry hive');
    }
    let sum = 0;
    for (let i = 0; i < 508; i += 4) sum = (sum ^ u32(i)) >>> 0;
    if (sum === 0) sum = 1;
    else if (sum === 0xffffffff) sum = 0xfffffffe;
    if (sum !== u32(508)) {
      throw hiveError(name, 'base block', `checksum ${hex(u32(508))} should be ${hex(sum)}`);
    }
    const base: BaseBlock = {
      dirty: u32(4) !== u32(8),
      majorVersion: u32(20),
      minorVersion: u32(24),
      rootCell: u32(36),
      binsSize: u32(40),
    };
    if (base.majorVersion !== 1 || base.minorVersion > 6) {
      throw hiveError(
        name,
        'base block',
        `has format version ${base.majorVersion}.${base.minorVersion} (expected 1.x)`,
      );
    }
    // The recorded size can lag behind the file when the hive was not closed cleanly.
    const available = source.size - BASE_BLOCK_SIZE;
    if (base.binsSize === 0 || base.binsSize % PAGE !== 0 || base.binsSize > available) {
      base.binsSize = available - (available % PAGE);
    }
    const hive = new HiveFile(name, source, base);
    await hive.binOf(0, HBIN_HEADER);
    return hive;
  }

  /** Bytes at `offset` from the first hive bin, within the bins area. */
  async bytes(offset: number, length: number, structure: string): Promise<Uint8Array> {
    if (!(offset >= 0 && length >= 0 && offset + length <= this.base.binsSize)) {
      throw hiveError(
        this.name,
        structure,
        `at ${hex(offset)} (+${length}) lies outside the hive bins (${hex(this.base.binsSize)} bytes)`,
      );
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const pageStart = at - (at % PAGE);
      const page = await this.page(pageStart);
      const from = at - pageStart;
      const n = Math.min(length - done, PAGE - from);
      if (page.length < from + n) throw hiveError(this.name, 'file', 'is truncated');
      out.set(page.subarray(from, from + n), done);
      done += n;
    }
    return out;
  }

  /**
   * The allocated cell at `offset`: its size must be sane, it must lie inside one hive bin and
   * its payload must start with `signature` when one is given.
   */
  async cell(offset: number, structure: string, signature?: string): Promise<Cell> {
    const what = `${structure} cell at ${hex(offset)}`;
    if (offset % 8 !== 0 || offset < HBIN_HEADER) {
      throw hiveError(this.name, what, 'is not at a cell boundary');
    }
    const head = await this.bytes(offset, 4, what);
    const raw = new DataView(head.buffer).getInt32(0, true);
    if (raw >= 0) throw hiveError(this.name, what, 'is free, yet a key refers to it');
    const size = -raw;
    if (size < 8 || size % 8 !== 0) throw hiveError(this.name, what, `has size ${size}`);
    await this.binOf(offset, size);
    const bytes = await this.bytes(offset + 4, size - 4, what);
    if (signature !== undefined) {
      const found = String.fromCharCode(bytes[0] ?? 0, bytes[1] ?? 0);
      if (found !== signature) {
        throw hiveError(this.name, what, `has signature "${found}", expected "${signature}"`);
      }
    }
    return { offset, bytes, data: new DataView(bytes.buffer, bytes.byteOffset, bytes.length) };
  }

  /** Validates the hive bin holding [offset, offset+length) and that the range stays inside it. */
  private async binOf(offset: number, length: number): Promise<void> {
    const start = await this.binStart(offset - (offset % PAGE));
    const size = this.bins.get(start) ?? 0;
    if (offset + length > start + size) {
      throw hiveError(
        this.name,
        `cell at ${hex(offset)}`,
        `(+${length}) runs past the end of its hive bin at ${hex(start)}`,
      );
    }
    if (offset !== start && offset < start + HBIN_HEADER) {
      throw hiveError(this.name, `cell at ${hex(offset)}`, 'overlaps a hive bin header');
    }
  }

  /** The start of the hive bin covering `page`, found by looking back for its header. */
  private async binStart(page: number): Promise<number> {
    const known = this.binOfPage.get(page);
    if (known !== undefined) return known;
    let start = page;
    for (let steps = 0; steps < MAX_HBIN_PAGES && start >= 0; steps++, start -= PAGE) {
      const header = await this.bytes(start, HBIN_HEADER, 'hive bin');
      const view = new DataView(header.buffer);
      // Cell data can contain the text "hbin": a real header also states its own offset.
      if (String.fromCharCode(...header.subarray(0, 4)) !== 'hbin') continue;
      if (view.getUint32(4, true) !== start) continue;
      const size = view.getUint32(8, true);
      if (size < PAGE || size % PAGE !== 0 || start + size > this.base.binsSize) {
        throw hiveError(this.name, `hive bin at ${hex(start)}`, `has size ${hex(size)}`);
      }
      if (start + size <= page) break; // the nearest bin ends before this page
      this.bins.set(start, size);
      for (let p = start; p < start + size; p += PAGE) this.binOfPage.set(p, start);
      return start;
    }
    throw hiveError(this.name, `data at ${hex(page)}`, 'lies in no hive bin');
  }

  private page(start: number): Promise<Uint8Array> {
    let page = this.pages.get(start);
    if (page === undefined) {
      const fileOffset = BASE_BLOCK_SIZE + start;
      page = this.source.read(fileOffset, Math.min(PAGE, this.source.size - fileOffset));
      page.catch(() => this.pages.delete(start));
      if (this.pages.size >= CACHE_PAGES) {
        const oldest = this.pages.keys().next().value;
        if (oldest !== undefined) this.pages.delete(oldest);
      }
      this.pages.set(start, page);
    }
    return page;
  }
}

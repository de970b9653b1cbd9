import { HiveFile, hiveError, type Cell, type HiveSource } from './hive-file';

/**
 * Keys and values of a registry hive, read-only: nk (key), vk (value), the subkey lists
 * lf/lh/li and the index root ri above them, value lists, and db (big data) cells for values
 * longer than one cell. Layout per the published regf format (libregf/hivex documentation).
 */

export interface RegistryKey {
  /** Cell offset of the key's nk record (stable id within the hive). */
  readonly offset: number;
  readonly name: string;
  readonly subkeyCount: number;
  readonly valueCount: number;
  /** Last write time of the key. */
  readonly modified?: Date;
  readonly subkeyList: number;
  readonly valueList: number;
}

export const REG = {
  NONE: 0,
  SZ: 1,
  EXPAND_SZ: 2,
  BINARY: 3,
  DWORD: 4,
  DWORD_BIG_ENDIAN: 5,
  LINK: 6,
  MULTI_SZ: 7,
  QWORD: 11,
} as const;

export interface RegistryValue {
  /** '' for the key's default value. */
  name: string;
  /** REG.* (other numbers are kept as found). */
  type: number;
  data: Uint8Array;
}

const NONE = 0xffffffff;
/** nk flag: the key name is stored as Latin-1 rather than UTF-16. */
const KEY_COMP_NAME = 0x20;
/** vk flag: the value name is stored as Latin-1 rather than UTF-16. */
const VALUE_COMP_NAME = 0x1;
/** Values longer than this live in db (big data) cells from format 1.4 on. */
const BIG_DATA_THRESHOLD = 16344;
/** Guest detection reads short strings; refuse to assemble anything larger. */
const MAX_VALUE_BYTES = 16 * 1024 * 1024;
/** Far more subkeys than any real key has (HKCR's ~100k): a larger count is corruption. */
const MAX_SUBKEYS = 1 << 20;
/** Windows allows 512 levels; a deeper path is a loop in a damaged hive. */
const MAX_PATH_DEPTH = 512;

const latin1 = new TextDecoder('latin1');
const utf16 = new TextDecoder('utf-16le');

export class Hive {
  private constructor(private readonly file: HiveFile) {}

  /** Opens a hive; `name` (e.g. "SYSTEM") appears in every error about it. */
  static async open(source: HiveSource, name: string): Promise<Hive> {
    return new Hive(await HiveFile.open(source, name));
  }

  static async fromBytes(bytes: Uint8Array, name: string): Promise<Hive> {
    return Hive.open(
      {
        size: bytes.length,
        read: async (offset, length) => bytes.subarray(offset, offset + length),
      },
      name,
    );
  }

  get name(): string {
    return this.file.name;
  }

  /** True when the hive was not closed cleanly; recent changes may be missing or torn. */
  get dirty(): boolean {
    return this.file.base.dirty;
  }

  root(): Promise<RegistryKey> {
    return this.key(this.file.base.rootCell, 'root key');
  }

  /** The key at a backslash path below the root (case-insensitive), or undefined. */
  async open(path: string): Promise<RegistryKey | undefined> {
    const parts = path.split('\\').filter((p) => p !== '');
    if (parts.length > MAX_PATH_DEPTH) throw hiveError(this.name, 'path', `${path} is too deep`);
    let key = await this.root();
    for (const part of parts) {
      const next = await this.subkey(key, part);
      if (next === undefined) return undefined;
      key = next;
    }
    return key;
  }

  async subkey(parent: RegistryKey, name: string): Promise<RegistryKey | undefined> {
    const wanted = name.toUpperCase();
    for (const offset of await this.subkeyOffsets(parent)) {
      const key = await this.key(offset, `subkey of ${parent.name}`);
      if (key.name.toUpperCase() === wanted) return key;
    }
    return undefined;
  }

  async subkeys(parent: RegistryKey): Promise<RegistryKey[]> {
    const out: RegistryKey[] = [];
    for (const offset of await this.subkeyOffsets(parent))
      out.push(await this.key(offset, `subkey of ${parent.name}`));
    return out;
  }

  async values(key: RegistryKey): Promise<RegistryValue[]> {
    const out: RegistryValue[] = [];
    for (const offset of await this.valueOffsets(key)) out.push(await this.valueAt(offset, key));
    return out;
  }

  /** The named value of a key ('' for the default value; names are case-insensitive). */
  async value(key: RegistryKey, name: string): Promise<RegistryValue | undefined> {
    const wanted = name.toUpperCase();
    for (const offset of await this.valueOffsets(key)) {
      const cell = await this.file.cell(offset, `value of ${key.name}`, 'vk');
      if (this.valueName(cell, key).toUpperCase() === wanted) return this.valueAt(offset, key);
    }
    return undefined;
  }

  private async key(offset: number, structure: string): Promise<RegistryKey> {
    const cell = await this.file.cell(offset, `${structure} (nk)`, 'nk');
    const what = `key record (nk) at 0x${offset.toString(16)}`;
    const v = fields(cell, this.name, what);
    const flags = v.u16(2);
    const nameLength = v.u16(72);
    const raw = v.sub(76, nameLength);
    const name = flags & KEY_COMP_NAME ? latin1.decode(raw) : utf16.decode(raw);
    const ticks = v.u64(4);
    const subkeyCount = v.u32(20);
    const valueCount = v.u32(36);
    const key: RegistryKey = {
      offset,
      name,
      subkeyCount,
      valueCount,
      subkeyList: v.u32(28),
      valueList: v.u32(40),
    };
    const modified = filetime(ticks);
    return modified ? { ...key, modified } : key;
  }

  /** Offsets of a key's subkey records, through an ri index root if there is one. */
  private async subkeyOffsets(key: RegistryKey): Promise<number[]> {
    if (key.subkeyCount === 0 || key.subkeyList === NONE) return [];
    if (key.subkeyCount > MAX_SUBKEYS) {
      throw hiveError(this.name, `key ${key.name}`, `claims ${key.subkeyCount} subkeys`);
    }
    const out: number[] = [];
    await this.readList(key.subkeyList, key, out, true);
    if (out.length !== key.subkeyCount) {
      throw hiveError(
        this.name,
        `subkey list of ${key.name}`,
        `holds ${out.length} keys, the key says ${key.subkeyCount}`,
      );
    }
    return out;
  }

  private async readList(
    offset: number,
    key: RegistryKey,
    out: number[],
    allowIndexRoot: boolean,
  ): Promise<void> {
    const structure = `subkey list of ${key.name}`;
    const cell = await this.file.cell(offset, structure);
    const v = fields(cell, this.name, `${structure} at 0x${offset.toString(16)}`);
    const signature = String.fromCharCode(v.u8(0), v.u8(1));
    const count = v.u16(2);
    const stride = signature === 'lf' || signature === 'lh' ? 8 : 4;
    if (signature !== 'lf' && signature !== 'lh' && signature !== 'li' && signature !== 'ri') {
      throw v.fail(`has unknown signature "${signature}"`);
    }
    if (4 + count * stride > cell.bytes.length) {
      throw v.fail(`claims ${count} entries, more than its ${cell.bytes.length} bytes hold`);
    }
    if (signature === 'ri' && !allowIndexRoot) throw v.fail('is an index root inside another');
    for (let i = 0; i < count; i++) {
      const entry = v.u32(4 + i * stride);
      if (signature === 'ri') await this.readList(entry, key, out, false);
      else out.push(entry);
      if (out.length > key.subkeyCount) {
        throw v.fail(`holds more than the ${key.subkeyCount} keys its key says`);
      }
    }
  }

  private async valueOffsets(key: RegistryKey): Promise<number[]> {
    if (key.valueCount === 0 || key.valueList === NONE) return [];
    const structure = `value list of ${key.name}`;
    const cell = await this.file.cell(key.valueList, structure);
    if (key.valueCount * 4 > cell.bytes.length) {
      throw hiveError(
        this.name,
        structure,
        `holds room for ${Math.floor(cell.bytes.length / 4)} values, the key says ${key.valueCount}`,
      );
    }
    const out: number[] = [];
    for (let i = 0; i < key.valueCount; i++) out.push(cell.data.getUint32(i * 4, true));
    return out;
  }

  private valueName(cell: Cell, key: RegistryKey): string {
    const v = fields(cell, this.name, `value record (vk) of ${key.name}`);
    const length = v.u16(2);
    const raw = v.sub(0x14, length);
    return v.u16(0x10) & VALUE_COMP_NAME ? latin1.decode(raw) : utf16.decode(raw);
  }

  private async valueAt(offset: number, key: RegistryKey): Promise<RegistryValue> {
    const cell = await this.file.cell(offset, `value of ${key.name}`, 'vk');
    const name = this.valueName(cell, key);
    const what = `value "${name}" of ${key.name}`;
    const v = fields(cell, this.name, what);
    const rawLength = v.u32(4);
    const dataOffset = v.u32(8);
    const type = v.u32(12);
    // The top bit marks data of up to 4 bytes kept in the data offset field itself.
    if (rawLength & 0x80000000) {
      const length = rawLength & 0x7fffffff;
      if (length > 4) throw v.fail(`has ${length} bytes of inline data (at most 4 fit)`);
      return { name, type, data: v.sub(8, length).slice() };
    }
    if (rawLength > MAX_VALUE_BYTES) throw v.fail(`is ${rawLength} bytes, too large to read`);
    if (rawLength === 0) return { name, type, data: new Uint8Array(0) };
    if (rawLength > BIG_DATA_THRESHOLD && this.file.base.minorVersion >= 4) {
      return { name, type, data: await this.bigData(dataOffset, rawLength, what) };
    }
    const data = await this.file.cell(dataOffset, `data of ${what}`);
    if (data.bytes.length < rawLength) {
      throw hiveError(
        this.name,
        `data of ${what}`,
        `is ${data.bytes.length} bytes, the value says ${rawLength}`,
      );
    }
    return { name, type, data: data.bytes.slice(0, rawLength) };
  }

  /** A db record: a list of data segments, each one cell of up to 16344 bytes. */
  private async bigData(offset: number, length: number, what: string): Promise<Uint8Array> {
    const structure = `big data record (db) of ${what}`;
    const db = fields(await this.file.cell(offset, structure, 'db'), this.name, structure);
    const segments = db.u16(2);
    const list = await this.file.cell(db.u32(4), `segment list of ${structure}`);
    if (segments * 4 > list.bytes.length) {
      throw hiveError(this.name, `segment list of ${structure}`, `is too short for ${segments}`);
    }
    const out = new Uint8Array(length);
    let done = 0;
    for (let i = 0; i < segments && done < length; i++) {
      const segment = await this.file.cell(
        list.data.getUint32(i * 4, true),
        `segment ${i} of ${structure}`,
      );
      const n = Math.min(length - done, BIG_DATA_THRESHOLD, segment.bytes.length);
      out.set(segment.bytes.subarray(0, n), done);
      done += n;
    }
    if (done < length) {
      throw hiveError(this.name, structure, `holds ${done} of the value's ${length} bytes`);
    }
    return out;
  }
}

/** Bounds-checked little-endian fields of one cell, failing with the hive and structure named. */
function fields(cell: Cell, hive: string, structure: string) {
  const fail = (problem: string) => hiveError(hive, structure, problem);
  const check = (at: number, size: number): void => {
    if (at + size > cell.bytes.length) {
      throw fail(`is ${cell.bytes.length} bytes, too short for a field at ${at} (+${size})`);
    }
  };
  return {
    fail,
    u8: (at: number): number => (check(at, 1), cell.data.getUint8(at)),
    u16: (at: number): number => (check(at, 2), cell.data.getUint16(at, true)),
    u32: (at: number): number => (check(at, 4), cell.data.getUint32(at, true)),
    u64: (at: number): bigint => (check(at, 8), cell.data.getBigUint64(at, true)),
    sub: (at: number, length: number): Uint8Array => (
      check(at, length),
      cell.bytes.subarray(at, at + length)
    ),
  };
}

/** Windows FILETIME (100 ns ticks since 1601) as a Date; undefined when unset or absurd. */
function filetime(ticks: bigint): Date | undefined {
  if (ticks === 0n) return undefined;
  const ms = Number(ticks / 10000n) - 11644473600000;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

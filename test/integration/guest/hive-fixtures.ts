import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tool } from '../filesystems/fs-fixtures';

/**
 * Registry hives for the tests. No Debian package ships a hive template and hivex cannot create
 * one, so `emptyHive()` writes the smallest valid hive per the published regf layout (base block,
 * one hbin, a root key and its security cell); hivexsh -w then adds keys and values to it, so
 * the structures our parser reads are the ones a real registry library writes.
 */

const BASE_BLOCK = 0x1000;
const HBIN = 0x1000;

/** Offsets below are relative to the first hbin, as every offset inside a hive is. */
const ROOT_NK = 0x20;
const ROOT_NK_CELL = 0x60;
const SK = ROOT_NK + ROOT_NK_CELL;
const SK_CELL = 0x28;

/** A self-relative security descriptor with no owner, group or ACLs (20 bytes). */
function emptySecurityDescriptor(): Buffer {
  const sd = Buffer.alloc(20);
  sd[0] = 1; // revision
  sd.writeUInt16LE(0x8000, 2); // SE_SELF_RELATIVE
  return sd;
}

export function baseBlockChecksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < 508; i += 4) sum = (sum ^ block.readUInt32LE(i)) >>> 0;
  if (sum === 0xffffffff) return 0xfffffffe;
  if (sum === 0) return 1;
  return sum;
}

/** The smallest hive hivex opens: a root key named `rootName` with no subkeys or values. */
export function emptyHive(rootName = 'ROOT'): Buffer {
  const hive = Buffer.alloc(BASE_BLOCK + HBIN);
  const base = hive.subarray(0, BASE_BLOCK);
  base.write('regf', 0, 'latin1');
  base.writeUInt32LE(1, 4); // primary sequence number
  base.writeUInt32LE(1, 8); // secondary: equal, so the hive is clean
  base.writeUInt32LE(1, 20); // major version
  base.writeUInt32LE(5, 24); // minor version (Windows 10 writes 1.5)
  base.writeUInt32LE(0, 28); // primary file
  base.writeUInt32LE(1, 32); // direct memory load format
  base.writeUInt32LE(ROOT_NK, 36);
  base.writeUInt32LE(HBIN, 40); // bytes of hive bins
  base.writeUInt32LE(1, 44); // clustering factor
  base.writeUInt32LE(baseBlockChecksum(base), 508);

  const bin = hive.subarray(BASE_BLOCK);
  bin.write('hbin', 0, 'latin1');
  bin.writeUInt32LE(0, 4); // offset of this bin
  bin.writeUInt32LE(HBIN, 8); // size of this bin

  const nk = bin.subarray(ROOT_NK, ROOT_NK + ROOT_NK_CELL);
  nk.writeInt32LE(-ROOT_NK_CELL, 0); // negative: allocated
  nk.write('nk', 4, 'latin1');
  nk.writeUInt16LE(0x2c, 6); // hive entry (root) | no delete | compressed (ASCII) name
  nk.writeUInt32LE(0xffffffff, 4 + 16); // parent: none
  nk.writeUInt32LE(0xffffffff, 4 + 28); // subkey list: none
  nk.writeUInt32LE(0xffffffff, 4 + 32); // volatile subkey list: none
  nk.writeUInt32LE(0xffffffff, 4 + 40); // value list: none
  nk.writeUInt32LE(SK, 4 + 44); // security cell
  nk.writeUInt32LE(0xffffffff, 4 + 48); // class name: none
  nk.writeUInt16LE(rootName.length, 4 + 72);
  nk.write(rootName, 4 + 76, 'latin1');

  const sd = emptySecurityDescriptor();
  const sk = bin.subarray(SK, SK + SK_CELL);
  sk.writeInt32LE(-SK_CELL, 0);
  sk.write('sk', 4, 'latin1');
  sk.writeUInt32LE(SK, 4 + 4); // flink: itself, the only sk of the hive
  sk.writeUInt32LE(SK, 4 + 8); // blink
  sk.writeUInt32LE(1, 4 + 12); // reference count
  sk.writeUInt32LE(sd.length, 4 + 16);
  sd.copy(sk, 4 + 20);

  // The rest of the bin is one free cell (positive size).
  bin.writeInt32LE(HBIN - (SK + SK_CELL), SK + SK_CELL);
  return hive;
}

/** One `setval` entry of hivexsh: the value name ('@' for the default) and typed data. */
export interface HivexValue {
  name: string;
  /** hivexsh syntax: `string:abc`, `dword:0x1`, `hex:3:01,02` … */
  data: string;
}

/** Keys to create (backslash paths from the root) and the values to set on them. */
export type HiveContent = Record<string, HivexValue[]>;

/** `hex:<type>:aa,bb,…` for hivexsh. */
export function hexValue(type: number, bytes: Uint8Array): string {
  return `hex:${type}:${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(',')}`;
}

/** REG_SZ as hivexsh's `string:` would store it but for any Unicode text (NUL-terminated). */
export function unicodeString(text: string, type = 1): string {
  return hexValue(type, Buffer.from(`${text}\0`, 'utf16le'));
}

/**
 * Builds a hive file with hivexsh: starts from `emptyHive()`, adds every key of `content`
 * (parents first) and sets its values. Returns the hive's path.
 */
export async function buildHive(dir: string, name: string, content: HiveContent): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, emptyHive());
  const script: string[] = [];
  const created = new Set<string>();
  for (const [key, values] of Object.entries(content)) {
    const parts = key.split('\\').filter((p) => p !== '');
    for (let i = 0; i < parts.length; i++) {
      const full = parts.slice(0, i + 1).join('\\');
      if (created.has(full.toLowerCase())) continue;
      created.add(full.toLowerCase());
      script.push(`cd \\ `);
      if (i > 0) script.push(`cd ${parts.slice(0, i).join('\\')}`);
      script.push(`add ${parts[i]}`);
    }
    if (values.length === 0) continue;
    script.push(`cd \\ `, `cd ${parts.join('\\')}`, `setval ${values.length}`);
    for (const v of values) script.push(v.name, v.data);
  }
  script.push('commit', 'quit');
  const scriptPath = join(dir, `${name}.hivexsh`);
  await writeFile(scriptPath, script.join('\n') + '\n');
  await tool('hivexsh', ['-w', '-f', scriptPath, path]);
  return path;
}

/** A value as hivexget prints it for a key (`hivexget HIVE 'KEY' NAME`). */
export async function hivexget(hive: string, key: string, value: string): Promise<string> {
  return (await tool('hivexget', [hive, key, value])).toString('utf8').trimEnd();
}

/** A key of a hand-laid hive: `list` picks the subkey list format written for its children. */
export interface RawKey {
  name: string;
  values?: { name: string; type: number; data: Uint8Array }[];
  children?: RawKey[];
  /** 'ri': an index root over li lists of two keys each, as Windows writes for large keys. */
  list?: 'lf' | 'lh' | 'li' | 'ri';
}

const BIG_DATA_SEGMENT = 16344;

/**
 * A hive laid out cell by cell per the regf format, for the structures hivex never writes:
 * li lists, ri index roots, db big-data records, UTF-16 names and inline data. The tests have
 * hivexml and hivexget read it too, so the layout is checked by a real registry library.
 */
export function rawHive(root: RawKey): Buffer {
  const cells: Buffer[] = [];
  let end = 0x20; // after the hbin header
  const alloc = (payload: number): { offset: number; cell: Buffer } => {
    const size = Math.ceil((4 + payload) / 8) * 8;
    const cell = Buffer.alloc(size);
    cell.writeInt32LE(-size, 0);
    const offset = end;
    end += size;
    cells.push(cell);
    return { offset, cell };
  };
  const isLatin1 = (s: string): boolean => [...s].every((c) => c.charCodeAt(0) < 256);
  const nameBytes = (s: string) =>
    isLatin1(s) ? Buffer.from(s, 'latin1') : Buffer.from(s, 'utf16le');

  const sd = emptySecurityDescriptor();
  const sk = alloc(20 + sd.length);
  sk.cell.write('sk', 4, 'latin1');
  sk.cell.writeUInt32LE(sk.offset, 8);
  sk.cell.writeUInt32LE(sk.offset, 12);
  sk.cell.writeUInt32LE(sd.length, 20);
  sd.copy(sk.cell, 24);
  let keys = 0;

  const writeValue = (v: { name: string; type: number; data: Uint8Array }): number => {
    const name = nameBytes(v.name);
    const vk = alloc(20 + name.length);
    vk.cell.write('vk', 4, 'latin1');
    vk.cell.writeUInt16LE(name.length, 6);
    vk.cell.writeUInt32LE(v.type, 16);
    vk.cell.writeUInt16LE(isLatin1(v.name) ? 1 : 0, 20);
    name.copy(vk.cell, 24);
    if (v.data.length <= 4) {
      vk.cell.writeUInt32LE((v.data.length | 0x80000000) >>> 0, 8);
      Buffer.from(v.data).copy(vk.cell, 12);
      return vk.offset;
    }
    vk.cell.writeUInt32LE(v.data.length, 8);
    if (v.data.length <= BIG_DATA_SEGMENT) {
      const data = alloc(v.data.length);
      Buffer.from(v.data).copy(data.cell, 4);
      vk.cell.writeUInt32LE(data.offset, 12);
      return vk.offset;
    }
    const segments: number[] = [];
    for (let at = 0; at < v.data.length; at += BIG_DATA_SEGMENT) {
      const part = v.data.subarray(at, at + BIG_DATA_SEGMENT);
      const seg = alloc(part.length);
      Buffer.from(part).copy(seg.cell, 4);
      segments.push(seg.offset);
    }
    const list = alloc(segments.length * 4);
    segments.forEach((s, i) => list.cell.writeUInt32LE(s, 4 + i * 4));
    const db = alloc(8);
    db.cell.write('db', 4, 'latin1');
    db.cell.writeUInt16LE(segments.length, 6);
    db.cell.writeUInt32LE(list.offset, 8);
    vk.cell.writeUInt32LE(db.offset, 12);
    return vk.offset;
  };

  const hashOf = (kind: 'lf' | 'lh', name: string): number => {
    if (kind === 'lf') return Buffer.from(`${name}\0\0\0\0`.slice(0, 4), 'latin1').readUInt32LE(0);
    let h = 0;
    for (const c of name.toUpperCase()) h = (Math.imul(h, 37) + c.charCodeAt(0)) >>> 0;
    return h;
  };
  const writeList = (kind: 'lf' | 'lh' | 'li', entries: { offset: number; name: string }[]) => {
    const stride = kind === 'li' ? 4 : 8;
    const list = alloc(4 + entries.length * stride);
    list.cell.write(kind, 4, 'latin1');
    list.cell.writeUInt16LE(entries.length, 6);
    entries.forEach((e, i) => {
      list.cell.writeUInt32LE(e.offset, 8 + i * stride);
      if (kind !== 'li') list.cell.writeUInt32LE(hashOf(kind, e.name), 12 + i * stride);
    });
    return list.offset;
  };

  const writeKey = (key: RawKey, parent: number): number => {
    keys++;
    const name = nameBytes(key.name);
    const nk = alloc(76 + name.length);
    const c = nk.cell;
    c.write('nk', 4, 'latin1');
    c.writeUInt16LE((parent === -1 ? 0x0c : 0) | (isLatin1(key.name) ? 0x20 : 0), 6);
    c.writeBigUInt64LE(133_000_000_000_000_000n, 8);
    c.writeUInt32LE(parent === -1 ? 0xffffffff : parent, 20);
    c.writeUInt32LE(0xffffffff, 36); // volatile subkey list
    c.writeUInt32LE(sk.offset, 48);
    c.writeUInt32LE(0xffffffff, 52); // class name
    c.writeUInt16LE(name.length, 76);
    name.copy(c, 80);
    const values = (key.values ?? []).map(writeValue);
    c.writeUInt32LE(values.length, 40);
    if (values.length > 0) {
      const list = alloc(values.length * 4);
      values.forEach((v, i) => list.cell.writeUInt32LE(v, 4 + i * 4));
      c.writeUInt32LE(list.offset, 44);
    } else c.writeUInt32LE(0xffffffff, 44);
    const children = [...(key.children ?? [])]
      .sort((a, b) => (a.name.toUpperCase() < b.name.toUpperCase() ? -1 : 1))
      .map((child) => ({ offset: writeKey(child, nk.offset), name: child.name }));
    c.writeUInt32LE(children.length, 24);
    if (children.length === 0) c.writeUInt32LE(0xffffffff, 32);
    else if (key.list === 'ri') {
      const lists: { offset: number; name: string }[] = [];
      for (let i = 0; i < children.length; i += 2)
        lists.push({ offset: writeList('li', children.slice(i, i + 2)), name: '' });
      const ri = alloc(4 + lists.length * 4);
      ri.cell.write('ri', 4, 'latin1');
      ri.cell.writeUInt16LE(lists.length, 6);
      lists.forEach((l, i) => ri.cell.writeUInt32LE(l.offset, 8 + i * 4));
      c.writeUInt32LE(ri.offset, 32);
    } else c.writeUInt32LE(writeList(key.list ?? 'lh', children), 32);
    return nk.offset;
  };
  const rootOffset = writeKey(root, -1);
  sk.cell.writeUInt32LE(keys, 16);

  const binSize = Math.ceil(end / 0x1000) * 0x1000;
  const hive = Buffer.alloc(BASE_BLOCK + binSize);
  emptyHive().copy(hive, 0, 0, BASE_BLOCK);
  hive.writeUInt32LE(rootOffset, 36);
  hive.writeUInt32LE(binSize, 40);
  hive.writeUInt32LE(baseBlockChecksum(hive.subarray(0, BASE_BLOCK)), 508);
  const bin = hive.subarray(BASE_BLOCK);
  bin.write('hbin', 0, 'latin1');
  bin.writeUInt32LE(binSize, 8);
  Buffer.concat(cells).copy(bin, 0x20);
  if (binSize > end) bin.writeInt32LE(binSize - end, end);
  return hive;
}

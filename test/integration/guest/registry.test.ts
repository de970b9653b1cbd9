import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../shared/errors';
import { Hive, REG, type RegistryKey, type RegistryValue } from '../../../src-main/engine/guest';
import {
  valueNumber,
  valueString,
  valueStrings,
} from '../../../src-main/engine/guest/registry/values';
import { scratchDir, tool } from '../filesystems/fs-fixtures';
import {
  baseBlockChecksum,
  buildHive,
  hexValue,
  rawHive,
  unicodeString,
  type HiveContent,
} from './hive-fixtures';

/**
 * The hive parser against hivex, the registry library of libguestfs: hives written by hivexsh
 * (lh lists, vk records, data cells as a real writer lays them out) and hand-laid hives for what
 * hivex never writes (ri index roots, li lists, db big data, UTF-16 names). Every key and value
 * must read exactly as hivexml and hivexget print them.
 */

let scratch: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  scratch = await scratchDir('hive');
});
afterAll(async () => {
  await scratch?.remove();
});

/** hivexget's rendering of a value (regedit export syntax), to compare line for line. */
function regeditLine(v: RegistryValue): string {
  const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const name = quote(v.name === '' ? '@' : v.name);
  const hexBytes = Array.from(v.data, (b) => b.toString(16).padStart(2, '0')).join(',');
  switch (v.type) {
    case REG.SZ:
      return `${name}=${quote(valueString('test', v))}`;
    case REG.EXPAND_SZ:
      return `${name}=str(2):${quote(valueString('test', v))}`;
    case REG.DWORD:
    case REG.DWORD_BIG_ENDIAN:
      return `${name}=dword:${valueNumber('test', v).toString(16).padStart(8, '0')}`;
    default:
      return `${name}=hex(${v.type}):${hexBytes}`;
  }
}

interface TreeKey {
  name: string;
  values: number;
  children: TreeKey[];
}

/** Every key of the hive with our parser, depth first, with its backslash path. */
async function ourKeys(hive: Hive): Promise<{ path: string; key: RegistryKey }[]> {
  const out: { path: string; key: RegistryKey }[] = [];
  const visit = async (key: RegistryKey, path: string, depth: number): Promise<void> => {
    out.push({ path: path === '' ? '\\' : path, key });
    if (depth > 32) throw new Error(`hive deeper than expected at ${path}`);
    for (const child of await hive.subkeys(key)) {
      await visit(child, `${path}\\${child.name}`, depth + 1);
    }
  };
  await visit(await hive.root(), '', 0);
  return out;
}

/** The key tree as hivexml prints it (names only, in hive order). */
async function hivexmlTree(path: string): Promise<TreeKey> {
  // hivexml opens /dev/stdout by name, which fails on the socket Node gives a child: use a file.
  await tool('sh', ['-c', 'hivexml "$0" > "$1"', path, `${path}.xml`]);
  const xml = await readFile(`${path}.xml`, 'utf8');
  const parsed = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => name === 'node' || name === 'value',
  }).parse(xml) as { hive: { node: XmlNode[] } };
  interface XmlNode {
    name: string;
    node?: XmlNode[];
    value?: unknown[];
  }
  const convert = (n: XmlNode): TreeKey => ({
    name: String(n.name),
    values: n.value?.length ?? 0,
    children: (n.node ?? []).map(convert),
  });
  return convert(parsed.hive.node[0]!);
}

async function ourTree(hive: Hive, key: RegistryKey): Promise<TreeKey> {
  const children: TreeKey[] = [];
  for (const child of await hive.subkeys(key)) children.push(await ourTree(hive, child));
  return { name: key.name, values: (await hive.values(key)).length, children };
}

/** Our reading of every key and value equals hivexml's tree and hivexget's values. */
async function expectSameAsHivex(path: string): Promise<Hive> {
  const hive = await Hive.fromBytes(await readFile(path), 'TEST');
  expect(await ourTree(hive, await hive.root())).toEqual(await hivexmlTree(path));
  for (const { path: keyPath, key } of await ourKeys(hive)) {
    if (key.valueCount === 0) continue; // hivexml agreed it has none
    const expected = (await tool('hivexget', [path, keyPath])).toString('utf8').trimEnd();
    const ours = (await hive.values(key)).map(regeditLine).join('\n');
    expect(ours, `values of ${keyPath}`).toBe(expected);
  }
  return hive;
}

describe('registry hive parser', () => {
  it('reads a hive written by hivexsh exactly as hivexget and hivexml do', async () => {
    const many: HiveContent = {};
    // Enough subkeys that hivex's lh list spans several hundred entries.
    for (let i = 0; i < 300; i++) many[`Services\\Svc${String(i).padStart(3, '0')}`] = [];
    const path = await buildHive(scratch.path, 'written', {
      Select: [
        { name: 'Current', data: 'dword:0x2' },
        { name: 'Default', data: 'dword:0x2' },
      ],
      'ControlSet002\\Control\\ComputerName\\ComputerName': [
        { name: 'ComputerName', data: 'string:LAB-WIN-01' },
      ],
      'Types\\All': [
        { name: '@', data: unicodeString('défaut ✓') },
        { name: 'Path', data: 'expandstring:%SystemRoot%\\system32' },
        { name: 'Number', data: 'dword:0xdeadbeef' },
        { name: 'BigEndian', data: hexValue(REG.DWORD_BIG_ENDIAN, Buffer.from([0, 0, 1, 2])) },
        { name: 'Quad', data: hexValue(REG.QWORD, Buffer.from('0102030405060000', 'hex')) },
        {
          name: 'Blob',
          data: hexValue(REG.BINARY, Buffer.from('3d2c1a4b0000100000000000', 'hex')),
        },
        { name: 'List', data: hexValue(REG.MULTI_SZ, Buffer.from('one\0two ✓\0\0', 'utf16le')) },
        { name: 'Empty', data: 'none' },
        { name: 'say "hi" \\ there', data: 'string:quoted "text" \\ here' },
      ],
      ...many,
    });
    const hive = await expectSameAsHivex(path);

    const all = await hive.open('types\\ALL');
    expect(all?.name).toBe('All');
    const get = async (name: string) => (await hive.value(all!, name))!;
    expect(valueString('t', await get(''))).toBe('défaut ✓');
    expect(valueString('t', await get('path'))).toBe('%SystemRoot%\\system32');
    expect(valueNumber('t', await get('Number'))).toBe(0xdeadbeef);
    expect(valueNumber('t', await get('BigEndian'))).toBe(0x102);
    expect(valueNumber('t', await get('Quad'))).toBe(0x060504030201);
    expect(valueStrings('t', await get('List'))).toEqual(['one', 'two ✓']);
    expect(() =>
      valueString('SYSTEM', { name: 'Number', type: REG.DWORD, data: new Uint8Array(4) }),
    ).toThrow(/Registry hive SYSTEM: value "Number" has type 4, expected a string/);
    expect((await hive.subkeys((await hive.open('Services'))!)).length).toBe(300);
    expect(await hive.open('Services\\Svc299')).toBeDefined();
    expect(await hive.open('Services\\Svc300')).toBeUndefined();
    expect(hive.dirty).toBe(false);
  });

  it('reads index roots, li lists, big data and UTF-16 names that hivex agrees on', async () => {
    const big = Buffer.alloc(40_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251;
    const path = join(scratch.path, 'raw');
    await writeFile(
      path,
      rawHive({
        name: 'ROOT',
        list: 'ri',
        children: [
          {
            name: 'Data',
            values: [
              { name: 'Big', type: REG.BINARY, data: big },
              { name: 'Inline', type: REG.DWORD, data: Buffer.from([7, 0, 0, 0]) },
              { name: 'Ĉeĥo', type: REG.SZ, data: Buffer.from('Ωmega\0', 'utf16le') },
            ],
          },
          { name: 'Listed', list: 'li', children: [{ name: 'x' }, { name: 'y' }, { name: 'z' }] },
          { name: 'Ωmega', list: 'lf', children: [{ name: 'Inner' }] },
          { name: 'Zeta' },
        ],
      }),
    );
    const hive = await expectSameAsHivex(path);
    const data = (await hive.open('DATA'))!;
    expect(Buffer.from((await hive.value(data, 'big'))!.data).equals(big)).toBe(true);
    expect(valueString('t', (await hive.value(data, 'ĉeĥo'))!)).toBe('Ωmega');
    expect(await hive.open('ωmega\\inner')).toBeDefined();
  });

  it('refuses broken hives with errors naming the hive and the structure', async () => {
    const good = await readFile(await buildHive(scratch.path, 'broken', { A: [] }));
    const expectError = async (bytes: Buffer, message: RegExp): Promise<void> => {
      const attempt = async (): Promise<void> => {
        const hive = await Hive.fromBytes(bytes, 'SYSTEM');
        await hive.subkeys(await hive.root());
      };
      await expect(attempt()).rejects.toThrow(message);
      await expect(attempt()).rejects.toBeInstanceOf(HyperkeepError);
    };
    const copy = (): Buffer => Buffer.from(good);

    const notHive = copy();
    notHive.write('xxxx', 0, 'latin1');
    await expectError(notHive, /^Registry hive SYSTEM: base block has no "regf" signature/);

    const badSum = copy();
    badSum.writeUInt32LE(badSum.readUInt32LE(508) ^ 1, 508);
    await expectError(badSum, /base block checksum 0x[0-9a-f]+ should be/);

    const badRoot = copy();
    badRoot.writeUInt32LE(0x7ffff0, 36);
    badRoot.writeUInt32LE(baseBlockChecksum(badRoot.subarray(0, 0x1000)), 508);
    await expectError(badRoot, /root key \(nk\) cell at 0x7ffff0 .*lies outside the hive bins/);

    const noBin = copy();
    noBin.write('nope', 0x1000, 'latin1');
    await expectError(noBin, /lies in no hive bin/);

    await expectError(good.subarray(0, 0x1800), /too small for a hive|truncated|outside/);
  });
});

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../shared/errors';
import { Hive, REG, type RegistryKey } from '../../../src-main/engine/guest';
import {
  valueNumber,
  valueString,
  valueStrings,
} from '../../../src-main/engine/guest/registry/values';
import { xorshift } from '../../harness/fuzz-input';
import { scratchDir } from '../filesystems/fs-fixtures';
import { baseBlockChecksum, buildHive, hexValue, rawHive, unicodeString } from './hive-fixtures';

/**
 * Mutated hives (a hivexsh-written SYSTEM-like hive and a hand-laid one with ri/li/db cells) must
 * fail only with INVALID_INPUT naming the hive: no crash, no hang, no other error.
 */

/** Wall-clock budget per seed hive: the whole run stays well under ten seconds. */
const BUDGET_MS = 3000;
const MAX_KEYS = 2000;

function expectCleanError(err: unknown): void {
  if (
    err instanceof HyperkeepError &&
    err.code === 'INVALID_INPUT' &&
    /^Registry hive FUZZ: \S/.test(err.message)
  )
    return;
  throw err;
}

/** Opens, walks every key once and decodes every value; errors of one key do not stop the rest. */
async function exercise(bytes: Uint8Array): Promise<number> {
  const hive = await Hive.fromBytes(bytes, 'FUZZ');
  const seen = new Set<number>();
  const queue: RegistryKey[] = [await hive.root()];
  while (queue.length > 0 && seen.size < MAX_KEYS) {
    const key = queue.shift()!;
    if (seen.has(key.offset)) continue; // a damaged list can point back at an ancestor
    seen.add(key.offset);
    try {
      for (const value of await hive.values(key)) {
        try {
          if (value.type === REG.SZ || value.type === REG.EXPAND_SZ) valueString('FUZZ', value);
          if (value.type === REG.MULTI_SZ) valueStrings('FUZZ', value);
          if (value.type === REG.DWORD || value.type === REG.QWORD) valueNumber('FUZZ', value);
        } catch (err) {
          expectCleanError(err);
        }
      }
      queue.push(...(await hive.subkeys(key)));
      await hive.open('ControlSet001\\Control\\ComputerName\\ComputerName');
    } catch (err) {
      expectCleanError(err);
    }
  }
  return seen.size;
}

async function fuzz(seedHive: Buffer, seed: number): Promise<{ runs: number; opened: number }> {
  const random = xorshift(seed);
  const start = Date.now();
  let runs = 0;
  let opened = 0;
  while (Date.now() - start < BUDGET_MS) {
    const bytes = Buffer.from(seedHive);
    const flips = 1 + Math.floor(random() * 8);
    for (let i = 0; i < flips; i++) {
      // Mostly the cells; sometimes the base block, re-signed so the parse goes deeper.
      const at =
        random() < 0.1
          ? Math.floor(random() * 64)
          : 0x1000 + Math.floor(random() * (bytes.length - 0x1000));
      bytes[at] = random() < 0.5 ? Math.floor(random() * 256) : bytes[at]! ^ (1 << (i % 8));
    }
    if (random() < 0.8) bytes.writeUInt32LE(baseBlockChecksum(bytes.subarray(0, 0x1000)), 508);
    const input = random() < 0.05 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
    runs++;
    try {
      await exercise(input);
      opened++;
    } catch (err) {
      expectCleanError(err);
    }
  }
  return { runs, opened };
}

let scratch: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  scratch = await scratchDir('hive-fuzz');
});
afterAll(async () => {
  await scratch?.remove();
});

describe('registry hive parser under corruption', () => {
  it('survives mutations of a hive written by hivexsh', async () => {
    const path = await buildHive(scratch.path, 'SYSTEM', {
      Select: [{ name: 'Current', data: 'dword:0x1' }],
      'ControlSet001\\Control\\ComputerName\\ComputerName': [
        { name: 'ComputerName', data: unicodeString('FUZZ-PC') },
      ],
      MountedDevices: [
        {
          name: '\\DosDevices\\C:',
          data: hexValue(3, Buffer.from('3d2c1a4b0000100000000000', 'hex')),
        },
        { name: 'List', data: hexValue(7, Buffer.from('a\0b\0\0', 'utf16le')) },
      ],
      'A\\B\\C': [{ name: 'Path', data: 'expandstring:%SystemRoot%' }],
    });
    const { runs, opened } = await fuzz(await readFile(path), 0x5eed);
    expect(runs).toBeGreaterThan(50);
    expect(opened).toBeGreaterThan(0);
  });

  it('survives mutations of a hive with index roots and big data', async () => {
    const hive = rawHive({
      name: 'ROOT',
      list: 'ri',
      children: [
        {
          name: 'Big',
          values: [{ name: 'Blob', type: REG.BINARY, data: Buffer.alloc(20_000, 7) }],
        },
        { name: 'Li', list: 'li', children: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
        {
          name: 'Lf',
          list: 'lf',
          children: [{ name: 'x', values: [{ name: 'n', type: 4, data: Buffer.alloc(4) }] }],
        },
      ],
    });
    const { runs, opened } = await fuzz(hive, 0xbeef);
    expect(runs).toBeGreaterThan(50);
    expect(opened).toBeGreaterThan(0);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperkeepError } from '../../../../../shared/errors';
import { Qcow2Image } from '../../../../../src-main/engine/formats/qcow2/qcow2-image';

/**
 * qcow2 images written byte by byte from the specification (docs/interop/qcow2.txt): 64 KiB
 * clusters, header in cluster 0, L1 table in cluster 3, one L2 table in cluster 4, data after.
 */
const CLUSTER = 65536;
const L1_AT = 3 * CLUSTER;
const L2_AT = 4 * CLUSTER;
const DATA_AT = 5 * CLUSTER;
const COPIED = 1n << 63n;

interface Options {
  version?: number;
  cryptMethod?: number;
  incompatible?: bigint;
  l1Offset?: number;
  featureNames?: [number, string][];
  l2Entries?: bigint[];
}

function image(o: Options = {}): Buffer {
  const b = Buffer.alloc(6 * CLUSTER);
  b.writeUInt32BE(0x514649fb, 0);
  b.writeUInt32BE(o.version ?? 3, 4);
  b.writeUInt32BE(16, 20); // cluster_bits
  b.writeBigUInt64BE(1n << 20n, 24); // 1 MiB disk
  b.writeUInt32BE(o.cryptMethod ?? 0, 32);
  b.writeUInt32BE(1, 36); // l1_size
  b.writeBigUInt64BE(BigInt(o.l1Offset ?? L1_AT), 40);
  b.writeBigUInt64BE(o.incompatible ?? 0n, 72);
  b.writeUInt32BE(4, 96); // refcount_order
  b.writeUInt32BE(112, 100); // header_length
  let at = 112;
  if (o.featureNames) {
    b.writeUInt32BE(0x6803f857, at);
    b.writeUInt32BE(o.featureNames.length * 48, at + 4);
    o.featureNames.forEach(([bit, name], i) => {
      b[at + 8 + i * 48] = 0; // incompatible
      b[at + 8 + i * 48 + 1] = bit;
      b.write(name, at + 8 + i * 48 + 2, 'latin1');
    });
    at += 8 + o.featureNames.length * 48;
  }
  b.writeUInt32BE(0, at); // end of extensions
  b.writeBigUInt64BE(BigInt(L2_AT) | COPIED, L1_AT);
  for (const [i, e] of (o.l2Entries ?? []).entries()) b.writeBigUInt64BE(e, L2_AT + i * 8);
  b.fill(0x42, DATA_AT, DATA_AT + CLUSTER);
  return b;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-qcow2-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

async function refusal(path: string, read = false): Promise<string> {
  const err: unknown = await (async () => {
    const img = await Qcow2Image.open(path);
    try {
      if (read) await img.read(0, CLUSTER);
    } finally {
      await img.close();
    }
  })().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HyperkeepError);
  expect((err as HyperkeepError).code).toBe('INVALID_INPUT');
  return (err as Error).message;
}

describe('qcow2 from the specification', () => {
  it('reads data clusters, zero clusters and unallocated clusters', async () => {
    const path = await write('ok.qcow2', image({ l2Entries: [BigInt(DATA_AT) | COPIED, 1n, 0n] }));
    const img = await Qcow2Image.open(path);
    try {
      expect(img.size).toBe(1 << 20);
      const bytes = Buffer.from(await img.read(CLUSTER - 2, 4));
      expect([...bytes]).toEqual([0x42, 0x42, 0, 0]);
      expect(await img.allocationMap()).toEqual([
        { offset: 0, length: CLUSTER, kind: 'data' },
        { offset: CLUSTER, length: CLUSTER, kind: 'zero' },
        { offset: 2 * CLUSTER, length: (1 << 20) - 2 * CLUSTER, kind: 'hole' },
      ]);
    } finally {
      await img.close();
    }
  });

  it('names the broken structure and its offset', async () => {
    const beyond = await write('l1.qcow2', image({ l1Offset: 64 * CLUSTER }));
    expect(await refusal(beyond)).toBe(
      `qcow2 image ${beyond}: L1 table offset 0x400000 (1 entries) beyond end of file`,
    );
    const unaligned = await write(
      'l2.qcow2',
      image({ l2Entries: [BigInt(DATA_AT + 512) | COPIED] }),
    );
    expect(await refusal(unaligned, true)).toBe(
      `qcow2 image ${unaligned}: L2 entry 0 points to unaligned cluster offset 0x50200`,
    );
    const outside = await write(
      'data.qcow2',
      image({ l2Entries: [BigInt(100 * CLUSTER) | COPIED] }),
    );
    expect(await refusal(outside, true)).toMatch(
      /data at 0x640000 \(65536 bytes\) lies beyond the end of/,
    );
  });

  it('refuses what it cannot read correctly, saying why', async () => {
    expect(await refusal(await write('v4.qcow2', image({ version: 4 })))).toMatch(
      /unsupported qcow2 version 4/,
    );
    expect(await refusal(await write('aes.qcow2', image({ cryptMethod: 1 })))).toMatch(
      /encrypted \(AES\)/,
    );
    const future = await write(
      'future.qcow2',
      image({ incompatible: 1n << 5n, featureNames: [[5, 'frobnication']] }),
    );
    expect(await refusal(future)).toMatch(
      /incompatible features Hyperkeep does not know: frobnication/,
    );
  });
});

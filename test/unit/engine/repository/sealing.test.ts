import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  chunkId,
  createKeyFile,
  generateKeys,
  parseKeyFile,
  sealParamsOf,
  unwrapKeyFile,
} from '../../../../src-main/engine/repository/keys';
import { DataWorkerPool } from '../../../../src-main/engine/repository/data-worker-pool';
import {
  DEFAULT_CHUNKER_PARAMS,
  cdcCutParams,
  gearTableFromSeed,
} from '../../../../src-main/engine/repository/fastcdc';
import {
  MAIN_THREAD_MODULES,
  SealError,
  compressAndSeal,
  openSealed,
  unpackPayload,
} from '../../../../src-main/engine/repository/sealing';

const FAST_KDF = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const text = Buffer.from('All work and no play makes Jack a dull boy. '.repeat(2000));

describe.each([true, false])('sealing (encrypted: %s)', (encrypt) => {
  const keys = generateKeys(encrypt);
  const params = sealParamsOf(keys, 3);
  const aad = chunkId(keys.idKey, text);

  it('round-trips compressible and incompressible data', async () => {
    const noise = randomBytes(100_000);
    for (const data of [text, noise]) {
      const sealed = compressAndSeal(MAIN_THREAD_MODULES, params, aad, data);
      const back = await unpackPayload(openSealed(params, aad, sealed), data.length);
      expect(Buffer.from(back).equals(data)).toBe(true);
    }
    // Text shrinks; noise is stored as is (plus a few bytes of framing).
    expect(compressAndSeal(MAIN_THREAD_MODULES, params, aad, text).length).toBeLessThan(
      text.length / 10,
    );
    expect(compressAndSeal(MAIN_THREAD_MODULES, params, aad, noise).length).toBeLessThan(
      noise.length + 64,
    );
  });

  it('detects any altered byte, and an object opened under another id', () => {
    const sealed = compressAndSeal(MAIN_THREAD_MODULES, params, aad, text);
    for (const pos of [0, 1, 20, Math.floor(sealed.length / 2), sealed.length - 1]) {
      const bad = Uint8Array.from(sealed);
      bad[pos]! ^= 0x01;
      expect(() => openSealed(params, aad, bad), `byte ${pos}`).toThrow(SealError);
    }
    expect(() => openSealed(params, randomBytes(32), sealed)).toThrow(SealError);
    expect(() => openSealed(params, aad, sealed.subarray(0, sealed.length - 5))).toThrow(SealError);
  });

  it('does not leak plaintext when encrypted', () => {
    const sealed = Buffer.from(
      compressAndSeal(MAIN_THREAD_MODULES, { ...params, level: 0 }, aad, text),
    );
    expect(sealed.includes(Buffer.from('Jack a dull boy'))).toBe(!encrypt);
  });

  it('produces the same format on a worker thread as on the calling thread', async () => {
    const cdc = cdcCutParams(gearTableFromSeed(randomBytes(32)), DEFAULT_CHUNKER_PARAMS);
    const pool = new DataWorkerPool({ seal: params, idKey: randomBytes(32), cdc }, 2);
    try {
      const inputs = [text, randomBytes(300_000), Buffer.alloc(70_000, 7)];
      const sealed = await Promise.all(inputs.map((d) => pool.seal(aad, Uint8Array.from(d))));
      for (const [i, s] of sealed.entries()) {
        const back = await unpackPayload(openSealed(params, aad, s), inputs[i]!.length);
        expect(Buffer.from(back).equals(inputs[i]!)).toBe(true);
      }
    } finally {
      await pool.close();
    }
  });
});

describe('chunk ids', () => {
  it('are keyed: the same content has different ids in two repositories', () => {
    const a = generateKeys(true);
    const b = generateKeys(true);
    expect(chunkId(a.idKey, text).equals(chunkId(a.idKey, Buffer.from(text)))).toBe(true);
    expect(chunkId(a.idKey, text).equals(chunkId(b.idKey, text))).toBe(false);
    expect(chunkId(a.idKey, text)).toHaveLength(32);
  });
});

describe('key files', () => {
  it('open with the right passphrase only', async () => {
    const keys = generateKeys(true);
    const file = parseKeyFile(
      await createKeyFile('correct horse', 'repo-1', keys, FAST_KDF, 'host'),
      'keys/x',
    );
    expect(file.kdf.algorithm).toBe('argon2id');
    expect(JSON.stringify(file)).not.toContain(keys.encryptionKey!.toString('base64'));
    const opened = await unwrapKeyFile(file, 'correct horse', 'repo-1');
    expect(opened?.encryptionKey?.equals(keys.encryptionKey!)).toBe(true);
    expect(opened?.idKey.equals(keys.idKey)).toBe(true);
    expect(await unwrapKeyFile(file, 'wrong horse', 'repo-1')).toBeNull();
  });

  it('refuse to serve another repository', async () => {
    const file = parseKeyFile(
      await createKeyFile('pw', 'repo-1', generateKeys(true), FAST_KDF, 'host'),
      'keys/x',
    );
    await expect(unwrapKeyFile(file, 'pw', 'repo-2')).rejects.toThrow(
      /belongs to repository repo-1/,
    );
  });
});

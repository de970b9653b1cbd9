import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { hashRaw, type Algorithm } from '@node-rs/argon2';
import { z } from 'zod';
import { HyperkeepError } from '../../../shared/errors';
import type { SealParams } from './sealing';

/** The secrets of one repository. */
export interface RepositoryKeys {
  /** ChaCha20-Poly1305 key; null for an unencrypted repository. */
  encryptionKey: Buffer | null;
  /** BLAKE3 key for chunk ids and the gear table seed. */
  idKey: Buffer;
}

export function generateKeys(encrypt: boolean): RepositoryKeys {
  return { encryptionKey: encrypt ? randomBytes(32) : null, idKey: randomBytes(32) };
}

/** Sealing parameters: encrypt with the encryption key, or authenticate with a MAC key from idKey. */
export function sealParamsOf(keys: RepositoryKeys, level: number): SealParams {
  if (keys.encryptionKey) return { encrypt: true, key: keys.encryptionKey, level };
  const macKey = createHmac('sha256', keys.idKey).update('hyperkeep-mac-key').digest();
  return { encrypt: false, key: macKey, level };
}

/**
 * Chunk id: keyed BLAKE3 of the plaintext. Keyed, so that equal content in two repositories has
 * different ids and an encrypted repository does not reveal content fingerprints.
 */
export function chunkId(idKey: Buffer, data: Uint8Array): Buffer {
  return Blake3Hasher.newKeyed(idKey).update(data).digestBuffer();
}

/** argon2id cost parameters; stored in each key file so they can be raised later. */
export interface KdfParams {
  /** KiB of memory. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** RFC 9106's second recommendation (64 MiB, 3 passes), one lane: ~0.2 s on our machines. */
export const DEFAULT_KDF: KdfParams = { memoryCost: 64 * 1024, timeCost: 3, parallelism: 1 };

const KeyFileSchema = z.object({
  format: z.literal('hyperkeep-key'),
  version: z.literal(1),
  createdAt: z.string(),
  hostname: z.string(),
  kdf: z.object({
    algorithm: z.literal('argon2id'),
    memoryCost: z
      .number()
      .int()
      .min(8)
      .max(4 * 1024 * 1024),
    timeCost: z.number().int().min(1).max(100),
    parallelism: z.number().int().min(1).max(255),
    salt: z.string(),
  }),
  wrapped: z.object({
    cipher: z.literal('chacha20-poly1305'),
    nonce: z.string(),
    data: z.string(),
  }),
});
export type KeyFile = z.infer<typeof KeyFileSchema>;

/** What a key file protects. The repository id and mode bind it to its config. */
const WrappedSchema = z.object({
  repositoryId: z.string(),
  encryptionKey: z.string().nullable(),
  idKey: z.string(),
});

const WRAP_AAD = Buffer.from('hyperkeep-key-v1');

async function deriveKek(passphrase: string, kdf: KeyFile['kdf']): Promise<Buffer> {
  return hashRaw(passphrase, {
    // Algorithm.Argon2id; the package's const enum cannot be read under isolatedModules.
    algorithm: 2 as Algorithm,
    memoryCost: kdf.memoryCost,
    timeCost: kdf.timeCost,
    parallelism: kdf.parallelism,
    outputLen: 32,
    salt: Buffer.from(kdf.salt, 'base64'),
  });
}

/** Wraps the repository keys under a passphrase (argon2id → key-encryption key → ChaCha20-Poly1305). */
export async function createKeyFile(
  passphrase: string,
  repositoryId: string,
  keys: RepositoryKeys,
  kdfParams: KdfParams,
  hostname: string,
): Promise<Uint8Array> {
  if (passphrase.length === 0)
    throw new HyperkeepError('INVALID_INPUT', 'The repository passphrase must not be empty');
  const kdf = {
    algorithm: 'argon2id' as const,
    ...kdfParams,
    salt: randomBytes(16).toString('base64'),
  };
  const kek = await deriveKek(passphrase, kdf);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('chacha20-poly1305', kek, nonce, { authTagLength: 16 });
  const plain = Buffer.from(
    JSON.stringify({
      repositoryId,
      encryptionKey: keys.encryptionKey?.toString('base64') ?? null,
      idKey: keys.idKey.toString('base64'),
    }),
  );
  cipher.setAAD(WRAP_AAD, { plaintextLength: plain.length });
  const data = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  const file: KeyFile = {
    format: 'hyperkeep-key',
    version: 1,
    createdAt: new Date().toISOString(),
    hostname,
    kdf,
    wrapped: {
      cipher: 'chacha20-poly1305',
      nonce: nonce.toString('base64'),
      data: data.toString('base64'),
    },
  };
  return Buffer.from(JSON.stringify(file, null, 2));
}

export function parseKeyFile(bytes: Uint8Array, name: string): KeyFile {
  try {
    return KeyFileSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch (err) {
    throw new HyperkeepError('INTERNAL', `Key file ${name} is damaged: ${(err as Error).message}`, {
      reason: 'CORRUPT',
      key: name,
    });
  }
}

/** The keys, or null when the passphrase does not open this key file. */
export async function unwrapKeyFile(
  file: KeyFile,
  passphrase: string,
  repositoryId: string,
): Promise<RepositoryKeys | null> {
  const kek = await deriveKek(passphrase, file.kdf);
  const sealed = Buffer.from(file.wrapped.data, 'base64');
  if (sealed.length < 17) return null;
  const decipher = createDecipheriv(
    'chacha20-poly1305',
    kek,
    Buffer.from(file.wrapped.nonce, 'base64'),
    {
      authTagLength: 16,
    },
  );
  decipher.setAAD(WRAP_AAD, { plaintextLength: sealed.length - 16 });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  let plain: Buffer;
  try {
    plain = Buffer.concat([
      decipher.update(sealed.subarray(0, sealed.length - 16)),
      decipher.final(),
    ]);
  } catch {
    return null;
  }
  const wrapped = WrappedSchema.parse(JSON.parse(plain.toString('utf8')));
  if (wrapped.repositoryId !== repositoryId) {
    throw new HyperkeepError(
      'INTERNAL',
      `The key file belongs to repository ${wrapped.repositoryId}, not to this repository (${repositoryId}): the config or keys/ were replaced`,
      { reason: 'CORRUPT' },
    );
  }
  return {
    encryptionKey:
      wrapped.encryptionKey === null ? null : Buffer.from(wrapped.encryptionKey, 'base64'),
    idKey: Buffer.from(wrapped.idKey, 'base64'),
  };
}

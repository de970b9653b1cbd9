import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { HyperkeepError } from '../../../shared/errors';
import type { SecretBox } from './secret-box';

const PREFIX = 'kf1:'; // versioned so a later scheme can coexist

/** AES-256-GCM with a random key kept in a 0600 file in the data home. */
export class KeyFileSecretBox implements SecretBox {
  readonly kind = 'key-file';
  private readonly key: Buffer;

  constructor(keyPath: string) {
    if (!existsSync(keyPath)) writeFileSync(keyPath, randomBytes(32), { mode: 0o600, flag: 'wx' });
    chmodSync(keyPath, 0o600);
    if (statSync(keyPath).size !== 32) {
      throw new HyperkeepError(
        'INTERNAL',
        `The secret key file ${keyPath} is damaged (it must hold 32 bytes).`,
      );
    }
    this.key = readFileSync(keyPath);
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  decrypt(ciphertext: string): string {
    if (!ciphertext.startsWith(PREFIX)) {
      throw new HyperkeepError(
        'INTERNAL',
        'A stored secret was encrypted by another secret store (the desktop app?) and cannot be read here. Enter the password again.',
      );
    }
    const raw = Buffer.from(ciphertext.slice(PREFIX.length), 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new HyperkeepError(
        'INTERNAL',
        "A stored secret cannot be decrypted with this home's key file. Enter the password again.",
      );
    }
  }
}

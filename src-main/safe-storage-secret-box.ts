import { safeStorage } from 'electron';
import { HyperkeepError } from '../shared/errors';
import type { SecretBox } from './engine/secrets/secret-box';

const PREFIX = 'ss1:';

/** The desktop app keeps secrets with the OS keychain (Keychain, DPAPI, libsecret/kwallet). */
export class SafeStorageSecretBox implements SecretBox {
  readonly kind = 'electron-safe-storage';

  encrypt(plaintext: string): string {
    if (!safeStorage.isEncryptionAvailable()) {
      throw new HyperkeepError(
        'INTERNAL',
        'The operating system offers no secret storage (keychain) to protect passwords with.',
      );
    }
    return PREFIX + safeStorage.encryptString(plaintext).toString('base64');
  }

  decrypt(ciphertext: string): string {
    if (!ciphertext.startsWith(PREFIX)) {
      throw new HyperkeepError(
        'INTERNAL',
        'A stored secret was written by `hyperkeep serve` or the CLI and cannot be read by the app. Enter the password again.',
      );
    }
    return safeStorage.decryptString(Buffer.from(ciphertext.slice(PREFIX.length), 'base64'));
  }
}

/**
 * Encrypts secrets (hypervisor passwords, VM credentials) before they reach the catalog.
 * Two implementations: the key file here (serve / CLI) and Electron's safeStorage (the app).
 */
export interface SecretBox {
  readonly kind: string;
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
}

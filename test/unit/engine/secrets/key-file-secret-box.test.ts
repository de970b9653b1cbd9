import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyFileSecretBox } from '../../../../src-main/engine/secrets/key-file-secret-box';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('key file secret box', () => {
  it('round-trips, hides the plaintext and keeps the key file private', () => {
    dir = mkdtempSync(join(tmpdir(), 'hk-secret-'));
    const box = new KeyFileSecretBox(join(dir, 'secret.key'));
    const sealed = box.encrypt('p@ss wörd');
    expect(sealed).not.toContain('p@ss');
    expect(box.encrypt('p@ss wörd')).not.toBe(sealed); // random nonce
    expect(new KeyFileSecretBox(join(dir, 'secret.key')).decrypt(sealed)).toBe('p@ss wörd');
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
  });

  it('a tampered secret or another key gives a clear error, not garbage', () => {
    dir = mkdtempSync(join(tmpdir(), 'hk-secret-'));
    const box = new KeyFileSecretBox(join(dir, 'a.key'));
    const sealed = box.encrypt('secret');
    const other = new KeyFileSecretBox(join(dir, 'b.key'));
    expect(() => other.decrypt(sealed)).toThrow(/cannot be decrypted/);
    const flipped = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'B' : 'A') + '=';
    expect(() => box.decrypt(flipped)).toThrow();
  });

  it('refuses a damaged key file', () => {
    dir = mkdtempSync(join(tmpdir(), 'hk-secret-'));
    writeFileSync(join(dir, 'bad.key'), 'short');
    expect(() => new KeyFileSecretBox(join(dir, 'bad.key'))).toThrow(/damaged/);
    expect(readFileSync(join(dir, 'bad.key'), 'utf8')).toBe('short');
  });
});

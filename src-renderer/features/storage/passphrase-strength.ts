/** How hard a passphrase is to guess, as a person can act on it. */
export interface PassphraseStrength {
  /** 0 (empty) … 4 (strong) */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  hint: string;
  color: 'error' | 'warning' | 'info' | 'success';
}

/**
 * A rough entropy estimate (length × log2 of the character classes used), discounted for
 * repetition. It is a hint, not a guarantee: "Password1!" scores better than it deserves, which
 * is why the hint always recommends random words.
 */
export function passphraseStrength(passphrase: string): PassphraseStrength {
  if (passphrase === '') {
    return {
      score: 0,
      label: '',
      hint: 'Use four or more random words, or 16+ mixed characters.',
      color: 'error',
    };
  }
  const chars = [...passphrase];
  let pool = 0;
  if (/[a-z]/.test(passphrase)) pool += 26;
  if (/[A-Z]/.test(passphrase)) pool += 26;
  if (/[0-9]/.test(passphrase)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(passphrase)) pool += 33;
  const distinct = new Set(chars).size;
  // "aaaaaaaaaaaa" is long but has almost no entropy: count only as many characters as differ.
  const effectiveLength = Math.min(chars.length, distinct * 2);
  const bits = effectiveLength * Math.log2(Math.max(pool, 2));
  if (bits < 40) {
    return {
      score: 1,
      label: 'Weak',
      hint: 'Easy to guess. Use four or more random words, or 16+ mixed characters.',
      color: 'error',
    };
  }
  if (bits < 60) {
    return {
      score: 2,
      label: 'Fair',
      hint: 'Could be guessed by a determined attacker. Add words or characters.',
      color: 'warning',
    };
  }
  if (bits < 80) {
    return {
      score: 3,
      label: 'Good',
      hint: 'Hard to guess. Longer is still better for backups kept for years.',
      color: 'info',
    };
  }
  return { score: 4, label: 'Strong', hint: 'Very hard to guess.', color: 'success' };
}

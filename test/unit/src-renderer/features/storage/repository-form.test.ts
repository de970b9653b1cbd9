import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../../src-renderer/api/api-error';
import { passphraseStrength } from '../../../../../src-renderer/features/storage/passphrase-strength';
import {
  ratioText,
  repositoryErrorsFrom,
  validateRepositoryForm,
  type RepositoryFormValues,
} from '../../../../../src-renderer/features/storage/repository-form';

const values: RepositoryFormValues = {
  name: 'default',
  location: '/srv/backups',
  encrypt: true,
  passphrase: 'correct horse battery staple',
  confirm: 'correct horse battery staple',
};

describe('repository form', () => {
  it('accepts a complete form and refuses a taken name, whatever its case', () => {
    expect(validateRepositoryForm('create', values, []).fields).toEqual({});
    expect(validateRepositoryForm('create', values, ['Default']).fields.name).toMatch(/already/);
  });

  it('asks for a full path: a relative folder would land wherever the engine started', () => {
    for (const mode of ['create', 'attach'] as const) {
      expect(
        validateRepositoryForm(mode, { ...values, location: 'relative/repo' }, []).fields.location,
      ).toBe('Enter a full path, such as /srv/backups/hyperkeep');
      expect(
        validateRepositoryForm(mode, { ...values, location: ' /srv/backups/repo ' }, []).fields,
      ).toEqual({});
    }
  });

  it('shows no dedup or compression ratio for a repository without data', () => {
    expect(ratioText(1, 0)).toBe('—');
    expect(ratioText(2.345, 10_000)).toBe('2.35×');
    expect(ratioText(0, 10_000)).toBe('—');
  });

  it('asks for a passphrase typed twice only when creating an encrypted repository', () => {
    expect(
      validateRepositoryForm('create', { ...values, confirm: 'x' }, []).fields.confirm,
    ).toMatch(/differ/);
    expect(
      validateRepositoryForm('create', { ...values, passphrase: 'short', confirm: 'short' }, [])
        .fields.passphrase,
    ).toMatch(/8/);
    expect(
      validateRepositoryForm(
        'create',
        { ...values, encrypt: false, passphrase: '', confirm: '' },
        [],
      ).fields,
    ).toEqual({});
    expect(
      validateRepositoryForm('attach', { ...values, passphrase: '', confirm: '' }, []).fields,
    ).toEqual({});
  });

  it("puts the engine's refusal next to the field it names; a wrong passphrase on the passphrase", () => {
    const notEmpty = new ApiError('ALREADY_EXISTS', '/srv/backups is not empty.', {
      field: 'location',
    });
    expect(repositoryErrorsFrom(notEmpty)).toEqual({
      fields: { location: '/srv/backups is not empty.' },
    });
    const wrong = new ApiError('AUTH_FAILED', 'Wrong passphrase for this repository');
    expect(repositoryErrorsFrom(wrong).fields.passphrase).toMatch(/Wrong passphrase/);
    const other = new ApiError('INTERNAL', 'disk full');
    expect(repositoryErrorsFrom(other)).toEqual({ fields: {}, general: 'disk full' });
  });

  it('rates passphrases: repetition and short ones are weak, random words strong', () => {
    expect(passphraseStrength('').score).toBe(0);
    expect(passphraseStrength('abc').label).toBe('Weak');
    expect(passphraseStrength('aaaaaaaaaaaaaaaaaaaaaaaa').label).toBe('Weak');
    expect(passphraseStrength('correct horse battery staple 42').label).toBe('Strong');
  });
});

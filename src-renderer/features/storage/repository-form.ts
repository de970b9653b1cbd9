import { ApiError, describeError } from '../../api/api-error';
import { isAbsoluteFolder } from '../restore/restore-paths';

export type RepositoryDialogMode = 'create' | 'attach';

export interface RepositoryFormValues {
  name: string;
  location: string;
  encrypt: boolean;
  passphrase: string;
  confirm: string;
}

export type RepositoryField = keyof RepositoryFormValues;

export interface RepositoryFormErrors {
  fields: Partial<Record<RepositoryField, string>>;
  general?: string;
}

export const MIN_PASSPHRASE_LENGTH = 8;

/** What can be checked before asking the engine: nothing here needs the file system. */
export function validateRepositoryForm(
  mode: RepositoryDialogMode,
  values: RepositoryFormValues,
  takenNames: readonly string[],
): RepositoryFormErrors {
  const fields: RepositoryFormErrors['fields'] = {};
  const name = values.name.trim();
  if (name === '') fields.name = 'Give the repository a name, e.g. default';
  else if (takenNames.some((taken) => taken.toLowerCase() === name.toLowerCase()))
    fields.name = `A repository named “${name}” is already configured`;
  const location = values.location.trim();
  if (location === '') fields.location = 'Enter the folder that holds the repository';
  // A relative folder would land wherever the engine happened to start.
  else if (!isAbsoluteFolder(location))
    fields.location = 'Enter a full path, such as /srv/backups/hyperkeep';
  if (mode === 'create' && values.encrypt) {
    if (values.passphrase.length < MIN_PASSPHRASE_LENGTH)
      fields.passphrase = `Use at least ${MIN_PASSPHRASE_LENGTH} characters`;
    else if (values.confirm !== values.passphrase) fields.confirm = 'The two passphrases differ';
  }
  return { fields };
}

const FIELD_NAMES: readonly string[] = ['name', 'location', 'passphrase'];

/** The engine names the field it refuses (`details.field`); a wrong passphrase is AUTH_FAILED. */
export function repositoryErrorsFrom(err: unknown): RepositoryFormErrors {
  if (!(err instanceof ApiError)) return { fields: {}, general: describeError(err) };
  if (err.code === 'AUTH_FAILED') return { fields: { passphrase: err.message } };
  const field = err.details?.['field'];
  if (typeof field === 'string' && FIELD_NAMES.includes(field)) {
    return { fields: { [field]: err.message } };
  }
  return { fields: {}, general: describeError(err) };
}

/** Dedup and compression of nothing are not 1.00×: an empty repository has no ratio yet. */
export function ratioText(value: number, logicalBytes: number): string {
  return logicalBytes > 0 && Number.isFinite(value) && value > 0 ? `${value.toFixed(2)}×` : '—';
}

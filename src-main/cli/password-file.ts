import { readFileSync } from 'node:fs';
import { HyperkeepError } from '../../shared/errors';

/** Why a password file cannot be read, without Node's "ENOENT: … open '…'" wording. */
const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a folder, not a file',
};

/** A secret for unattended use (like restic's --password-file): the file's text, one newline off. */
export function readPasswordFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Cannot read the password file ${path}: ${(code && FILE_ERRORS[code]) ?? (err as Error).message}`,
    );
  }
}

import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { HyperkeepError } from '../../../shared/errors';
import { defaultRestoreFolder } from '../home';

/**
 * The image file a restore writes, as an absolute path. Inside the default restore folder (what
 * the dialogs suggest) missing folders are created, so the suggestion works on first use; any
 * other folder must exist: a typo there is reported instead of silently becoming a new folder.
 */
export async function imageDestination(dest: string): Promise<string> {
  if (!isAbsolute(dest))
    throw new HyperkeepError(
      'INVALID_INPUT',
      `The destination must be an absolute path, not "${dest}".`,
      { field: 'dest' },
    );
  const path = resolve(dest);
  const inside = relative(defaultRestoreFolder(), dirname(path));
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside)))
    await mkdir(dirname(path), { recursive: true, mode: 0o755 }).catch((err: unknown) => {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Cannot create the folder ${dirname(path)}: ${(err as Error).message}`,
        { field: 'dest' },
      );
    });
  return path;
}

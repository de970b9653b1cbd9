import { HyperkeepError } from '../../../shared/errors';
import type { RepositoryRegistry } from './repository-registry';

export interface PassphraseChange {
  name: string;
  /** Proof that the person may change it: the console's stored copy is not. */
  current: string;
  next: string;
}

/**
 * Re-wraps a registered repository's keys under a new passphrase (restic's `key passwd`, borg's
 * `key change-passphrase`). The data keys stay the same, so running jobs and the points are not
 * touched. Other consoles that attached the repository keep the old passphrase and are told to
 * attach it again when they next open it (RepositoryRegistry.get).
 */
export async function changeRepositoryPassphrase(
  registry: RepositoryRegistry,
  change: PassphraseChange,
): Promise<void> {
  const repo = registry.describe(change.name);
  if (!repo.encrypted)
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Repository "${repo.name}" is not encrypted: it has no passphrase to change.`,
    );
  if (change.next === change.current)
    throw new HyperkeepError(
      'INVALID_INPUT',
      'The new passphrase is the same as the current one: enter a different one.',
      { field: 'next' },
    );
  // The open repository re-wraps its own keys; it checks `current` against the key files first,
  // so a wrong one is refused before anything is written.
  const repository = await registry.get(repo.name);
  try {
    await repository.changePassphrase(change.next, undefined, {
      current: change.current,
      beforeRemovingOld: () => registry.storePassphrase(repo.name, change.next),
    });
  } catch (err) {
    if (err instanceof HyperkeepError && err.code === 'AUTH_FAILED')
      throw new HyperkeepError(
        'AUTH_FAILED',
        `The current passphrase of repository "${repo.name}" is wrong: nothing was changed.`,
        { field: 'current' },
      );
    throw err;
  }
}

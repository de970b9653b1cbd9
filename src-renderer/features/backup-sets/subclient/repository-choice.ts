/**
 * The subclient's "Target repository" is picked from the registered repositories: a typed name
 * that names none was saved and only failed at backup time ('No repository named "defualt"').
 */

/** Name the engine gives a subclient's repository when none is chosen. */
export const DEFAULT_REPOSITORY = 'default';

export interface RepositoryOption {
  name: string;
  /** false for a saved value naming a repository that is no longer (or never was) registered */
  registered: boolean;
}

export interface RepositoryChoice {
  options: RepositoryOption[];
  /** Why backups of the subclient would fail with the current value; undefined when it is fine. */
  problem: string | undefined;
  /** No repository is registered at all: nothing can be chosen yet. */
  none: boolean;
}

export const CREATE_REPOSITORY_HINT = 'Create a repository on the Storage page first.';

/**
 * What the select offers for `current`: the registered repositories, plus `current` itself when it
 * names none of them, kept (never silently swapped for another) and flagged.
 */
export function repositoryChoice(current: string, registered: readonly string[]): RepositoryChoice {
  const names = [...new Set(registered)].sort((a, b) => a.localeCompare(b));
  const none = names.length === 0;
  const options: RepositoryOption[] = names.map((name) => ({ name, registered: true }));
  if (current !== '' && !names.includes(current)) {
    options.unshift({ name: current, registered: false });
  }
  let problem: string | undefined;
  if (none) {
    problem = `No repository is registered yet: backups of this subclient will fail. ${CREATE_REPOSITORY_HINT}`;
  } else if (current === '') {
    problem = 'Choose the repository this subclient’s backups are written to.';
  } else if (!names.includes(current)) {
    problem = `No repository named "${current}" is registered: backups of this subclient will fail. Choose a registered repository.`;
  }
  return { options, problem, none };
}

/**
 * The repository a NEW subclient starts with: the engine's default name when such a repository
 * exists, else the only registered one (there is nothing else to choose), else the default name,
 * flagged until a repository is created.
 */
export function initialRepository(registered: readonly string[]): string {
  if (registered.includes(DEFAULT_REPOSITORY)) return DEFAULT_REPOSITORY;
  const [only, ...others] = registered;
  return only !== undefined && others.length === 0 ? only : DEFAULT_REPOSITORY;
}

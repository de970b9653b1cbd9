/** The first things a new console needs, in the order they depend on each other. */
export type GettingStartedStepId = 'hypervisor' | 'repository' | 'backupSet' | 'restorePoint';

export interface GettingStartedStep {
  id: GettingStartedStepId;
  title: string;
  detail: string;
  /** The button that leads to the page doing it. */
  action: string;
  done: boolean;
}

/** How many of each the console has; undefined while not known (not loaded, or failed). */
export interface GettingStartedCounts {
  hypervisors: number | undefined;
  repositories: number | undefined;
  backupSets: number | undefined;
  /** VMs with at least one restore point. */
  vmsWithPoints: number | undefined;
}

const STEPS: Omit<GettingStartedStep, 'done'>[] = [
  {
    id: 'hypervisor',
    title: 'Register a hypervisor',
    detail: 'Hyperkeep then discovers its virtual machines.',
    action: 'Add hypervisor',
  },
  {
    id: 'repository',
    title: 'Create a repository',
    detail: 'The folder the restore points are stored in, deduplicated and compressed.',
    action: 'Open Storage',
  },
  {
    id: 'backupSet',
    title: 'Create a backup set',
    detail: 'Its subclients pick the VMs and say when they are backed up and how long kept.',
    action: 'Create backup set',
  },
  {
    id: 'restorePoint',
    title: 'Back up a VM',
    detail: 'Open a virtual machine and choose “Back up now” for its first restore point.',
    action: 'Open Virtual machines',
  },
];

/**
 * The "Getting started" steps, each done or not; undefined when the card has nothing to show:
 * every step is done, or a first restore point exists (a console that backs VMs up one by one,
 * without a backup set, is past getting started: the card would only nag), or some count is not
 * known yet (a card that ticks its steps one by one
 * as the lists arrive, or says "not done" of a list that failed to load, would mislead).
 */
export function gettingStartedSteps(
  counts: GettingStartedCounts,
): GettingStartedStep[] | undefined {
  const known: Record<GettingStartedStepId, number | undefined> = {
    hypervisor: counts.hypervisors,
    repository: counts.repositories,
    backupSet: counts.backupSets,
    restorePoint: counts.vmsWithPoints,
  };
  if (Object.values(known).some((count) => count === undefined)) return undefined;
  const steps = STEPS.map((step) => ({ ...step, done: (known[step.id] ?? 0) > 0 }));
  return steps.every((step) => step.done) || (known.restorePoint ?? 0) > 0 ? undefined : steps;
}

/** A count once its list loaded (or has data from before), else undefined. */
export function knownCount(status: string, items: readonly unknown[]): number | undefined {
  return status === 'ready' || items.length > 0 ? items.length : undefined;
}

/** Where the console remembers that the administrator closed the card. */
export const GETTING_STARTED_DISMISSED_KEY = 'hyperkeep.gettingStarted.dismissed';

/** The part of Web Storage the dismissal needs; tests pass their own. */
export type DismissalStorage = Pick<Storage, 'getItem' | 'setItem'>;

/**
 * Whether the card was closed before. Storage can be disabled (privacy settings), and then even
 * reading `window.localStorage` throws: the card is simply shown.
 */
export function isGettingStartedDismissed(storage?: DismissalStorage): boolean {
  try {
    const store = storage ?? globalThis.localStorage;
    return store?.getItem(GETTING_STARTED_DISMISSED_KEY) === 'true';
  } catch {
    return false;
  }
}

/**
 * Remembers that the card was closed, for an administrator who manages VMs by other means and
 * does not want the checklist back on every visit. Without storage it only goes for the session.
 */
export function rememberGettingStartedDismissed(storage?: DismissalStorage): void {
  try {
    const store = storage ?? globalThis.localStorage;
    store?.setItem(GETTING_STARTED_DISMISSED_KEY, 'true');
  } catch {
    // Not persisted: the card still stays closed until the console is reloaded.
  }
}

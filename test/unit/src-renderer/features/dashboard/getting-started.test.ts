import { afterEach, describe, expect, it } from 'vitest';
import {
  GETTING_STARTED_DISMISSED_KEY,
  gettingStartedSteps,
  isGettingStartedDismissed,
  knownCount,
  rememberGettingStartedDismissed,
  type DismissalStorage,
} from '../../../../../src-renderer/features/dashboard/getting-started';

const NOTHING = { hypervisors: 0, repositories: 0, backupSets: 0, vmsWithPoints: 0 };

describe('gettingStartedSteps', () => {
  it('a fresh console: the four steps in order, none done', () => {
    const steps = gettingStartedSteps(NOTHING);
    expect(steps?.map((s) => [s.title, s.done])).toEqual([
      ['Register a hypervisor', false],
      ['Create a repository', false],
      ['Create a backup set', false],
      ['Back up a VM', false],
    ]);
  });

  it('ticks what exists, and shows nothing once everything does', () => {
    const steps = gettingStartedSteps({ ...NOTHING, hypervisors: 2, backupSets: 1 });
    expect(steps?.map((s) => s.done)).toEqual([true, false, true, false]);
    expect(
      gettingStartedSteps({ hypervisors: 1, repositories: 1, backupSets: 1, vmsWithPoints: 3 }),
    ).toBeUndefined();
  });

  it('goes away with the first restore point, even one taken without a backup set', () => {
    expect(
      gettingStartedSteps({ hypervisors: 1, repositories: 1, backupSets: 0, vmsWithPoints: 1 }),
    ).toBeUndefined();
  });

  it('shows nothing while a count is not known, rather than a step wrongly unticked', () => {
    expect(gettingStartedSteps({ ...NOTHING, repositories: undefined })).toBeUndefined();
  });
});

describe('knownCount', () => {
  it('counts a loaded list, or one with data from before; not one loading for the first time', () => {
    expect(knownCount('ready', [])).toBe(0);
    expect(knownCount('error', [1, 2])).toBe(2);
    expect(knownCount('loading', [])).toBeUndefined();
    expect(knownCount('error', [])).toBeUndefined();
  });
});

/** An in-memory stand-in for window.localStorage. */
function memoryStorage(): DismissalStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
  };
}

/** Storage the browser refuses (disabled by privacy settings, quota): every call throws. */
const refusingStorage: DismissalStorage = {
  getItem: () => {
    throw new DOMException('The operation is insecure.', 'SecurityError');
  },
  setItem: () => {
    throw new DOMException('The operation is insecure.', 'SecurityError');
  },
};

describe('dismissing the Getting started card', () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
  afterEach(() => {
    if (original) Object.defineProperty(globalThis, 'localStorage', original);
    else delete (globalThis as { localStorage?: Storage }).localStorage;
  });

  it('is shown until dismissed, and the dismissal is remembered in storage', () => {
    const storage = memoryStorage();
    expect(isGettingStartedDismissed(storage)).toBe(false);
    rememberGettingStartedDismissed(storage);
    expect(storage.items.get(GETTING_STARTED_DISMISSED_KEY)).toBe('true');
    expect(GETTING_STARTED_DISMISSED_KEY).toBe('hyperkeep.gettingStarted.dismissed');
    // What a reload of the console would read back.
    expect(isGettingStartedDismissed(storage)).toBe(true);
  });

  it('ignores other values under the key', () => {
    const storage = memoryStorage();
    storage.items.set(GETTING_STARTED_DISMISSED_KEY, 'false');
    expect(isGettingStartedDismissed(storage)).toBe(false);
  });

  it('with storage that throws, the card shows and dismissing does not break the console', () => {
    expect(isGettingStartedDismissed(refusingStorage)).toBe(false);
    expect(() => rememberGettingStartedDismissed(refusingStorage)).not.toThrow();
  });

  it('uses window.localStorage by default, and copes when even reading it throws', () => {
    const storage = memoryStorage();
    Object.defineProperty(globalThis, 'localStorage', { configurable: true, value: storage });
    rememberGettingStartedDismissed();
    expect(isGettingStartedDismissed()).toBe(true);

    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get: () => {
        throw new DOMException('Access is denied for this document.', 'SecurityError');
      },
    });
    expect(isGettingStartedDismissed()).toBe(false);
    expect(() => rememberGettingStartedDismissed()).not.toThrow();
  });
});

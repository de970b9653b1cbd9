import { describe, expect, it } from 'vitest';
import {
  gettingStartedSteps,
  knownCount,
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

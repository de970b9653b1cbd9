import { describe, expect, it } from 'vitest';
import {
  initialRepository,
  repositoryChoice,
} from '../../../../../src-renderer/features/backup-sets/subclient/repository-choice';

describe('repositoryChoice', () => {
  it('offers the registered repositories, sorted, and accepts one of them', () => {
    const choice = repositoryChoice('default', ['offsite', 'default']);
    expect(choice.options).toEqual([
      { name: 'default', registered: true },
      { name: 'offsite', registered: true },
    ]);
    expect(choice.problem).toBeUndefined();
    expect(choice.none).toBe(false);
  });

  it('keeps a saved name that no longer names a repository, flagged instead of swapped', () => {
    const choice = repositoryChoice('defualt', ['default']);
    expect(choice.options[0]).toEqual({ name: 'defualt', registered: false });
    expect(choice.options).toContainEqual({ name: 'default', registered: true });
    expect(choice.problem).toBe(
      'No repository named "defualt" is registered: backups of this subclient will fail. Choose a registered repository.',
    );
  });

  it('says where to go when no repository exists at all', () => {
    const choice = repositoryChoice('default', []);
    expect(choice.none).toBe(true);
    expect(choice.options).toEqual([{ name: 'default', registered: false }]);
    expect(choice.problem).toMatch(/Create a repository on the Storage page first\.$/);
  });

  it('asks for a choice when the value is empty', () => {
    const choice = repositoryChoice('', ['default']);
    expect(choice.options).toEqual([{ name: 'default', registered: true }]);
    expect(choice.problem).toMatch(/^Choose the repository/);
  });
});

describe('initialRepository', () => {
  it('starts a new subclient on "default" when it exists, else on the only repository', () => {
    expect(initialRepository(['offsite', 'default'])).toBe('default');
    expect(initialRepository(['offsite'])).toBe('offsite');
    // Several and none called "default": nothing to guess; the Storage tab flags it.
    expect(initialRepository(['a', 'b'])).toBe('default');
    expect(initialRepository([])).toBe('default');
  });
});

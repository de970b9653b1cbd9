import { describe, expect, it } from 'vitest';
import { SubclientSettings } from '../../../../../shared/domain/backup-set';
import {
  formChanged,
  sameValues,
} from '../../../../../src-renderer/features/backup-sets/unsaved-changes';

/** The values a New subclient dialog opens with. */
function blankSubclient() {
  return {
    name: '',
    content: { match: 'any', rules: [], exclusions: [] },
    settings: SubclientSettings.parse({}),
    manualVms: [] as string[],
  };
}

describe('formChanged', () => {
  it('sees nothing to lose in a new subclient nobody touched', () => {
    expect(formChanged(blankSubclient(), blankSubclient())).toBe(false);
  });

  it('sees a name typed into a new subclient, so Escape asks before losing it', () => {
    expect(formChanged({ ...blankSubclient(), name: 'web' }, blankSubclient())).toBe(true);
  });

  it('sees a setting changed deep in a tab, like the schedule or the target repository', () => {
    const initial = blankSubclient();
    const edited = {
      ...initial,
      settings: { ...initial.settings, storage: { repository: 'offsite' } },
    };
    expect(formChanged(edited, initial)).toBe(true);
    const rule = { type: 'name', pattern: '^lab-web' };
    expect(
      formChanged({ ...initial, content: { ...initial.content, rules: [rule] } }, initial),
    ).toBe(true);
  });

  it('takes a value changed and changed back as no change', () => {
    const initial = blankSubclient();
    const settings = { ...initial.settings, dataReaders: initial.settings.dataReaders + 1 };
    const back = { ...settings, dataReaders: initial.settings.dataReaders };
    expect(formChanged({ ...initial, settings: back }, initial)).toBe(false);
  });

  it('ignores spaces around a name and the order keys were set in', () => {
    const initial = { name: 'web', proxy: 'local' };
    expect(formChanged({ proxy: 'local', name: ' web ' }, initial)).toBe(false);
  });
});

describe('sameValues', () => {
  it('compares arrays by order and length, objects by keys', () => {
    expect(sameValues(['a', 'b'], ['a', 'b'])).toBe(true);
    expect(sameValues(['a', 'b'], ['b', 'a'])).toBe(false);
    expect(sameValues(['a'], ['a', 'b'])).toBe(false);
    expect(sameValues({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameValues({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(sameValues(null, {})).toBe(false);
  });
});

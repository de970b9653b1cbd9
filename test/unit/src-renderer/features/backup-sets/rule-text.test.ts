import { describe, expect, it } from 'vitest';
import type { Rule } from '../../../../../shared/domain/rules';
import {
  describeRule,
  newRule,
  normalizeContent,
  previewableContent,
  remapPreviewField,
} from '../../../../../src-renderer/features/backup-sets/rules/rule-text';

const name = (pattern: string): Rule => ({
  type: 'name',
  pattern,
  caseSensitive: false,
  negate: false,
});

describe('describeRule', () => {
  it('says what each rule tests, the way the rule list shows it', () => {
    expect(describeRule(name('^lab-web'))).toBe('Name matches /^lab-web/i');
    expect(describeRule({ type: 'host', value: 'lab-host-2', negate: true })).toBe(
      'Not on host lab-host-2',
    );
    expect(describeRule({ type: 'power-state', value: 'shutoff', negate: false })).toBe(
      'Power state is Shut off',
    );
    expect(describeRule({ type: 'tag', key: 'tags', negate: false })).toBe('Tag tags present');
    expect(describeRule(name(''))).toBe('No pattern yet');
  });
});

describe('newRule', () => {
  it('keeps the pattern and negation when the type changes between regex rules', () => {
    const from: Rule = { type: 'name', pattern: 'web', caseSensitive: true, negate: true };
    expect(newRule('guest-os', from)).toEqual({ type: 'guest-os', pattern: 'web', negate: true });
    expect(newRule('host', from)).toEqual({ type: 'host', value: '', negate: true });
  });
});

describe('previewableContent', () => {
  it('leaves out incomplete rules and maps engine fields back to the editor rows', () => {
    const content = {
      match: 'any' as const,
      rules: [
        name(''),
        name('web('),
        { type: 'host' as const, value: '', negate: false },
        name('db'),
      ],
      exclusions: [name(''), name('x')],
    };
    const prepared = previewableContent(content);
    expect(prepared.content.rules.map((r) => ('pattern' in r ? r.pattern : ''))).toEqual([
      'web(',
      'db',
    ]);
    expect(remapPreviewField('rules.0.pattern', prepared.ruleIndex, prepared.exclusionIndex)).toBe(
      'rules.1.pattern',
    );
    expect(remapPreviewField('rules.1.pattern', prepared.ruleIndex, prepared.exclusionIndex)).toBe(
      'rules.3.pattern',
    );
    expect(
      remapPreviewField('exclusions.0.pattern', prepared.ruleIndex, prepared.exclusionIndex),
    ).toBe('exclusions.1.pattern');
  });
});

describe('normalizeContent', () => {
  it('drops an emptied tag value pattern: the rule then means "tag present"', () => {
    const content = normalizeContent({
      match: 'all',
      rules: [{ type: 'tag', key: 'owner', pattern: '', negate: false }],
      exclusions: [],
    });
    expect(content.rules[0]).toEqual({ type: 'tag', key: 'owner', negate: false });
  });
});

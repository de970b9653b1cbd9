import { describe, expect, it } from 'vitest';
import { formatRule, parseRule } from '../../../src-main/cli/rule-syntax';

describe('CLI rule syntax', () => {
  it.each([
    ['name~^web-', { type: 'name', pattern: '^web-', negate: false, caseSensitive: false }],
    ['name!~test', { type: 'name', pattern: 'test', negate: true, caseSensitive: false }],
    ['name~~^Web', { type: 'name', pattern: '^Web', negate: false, caseSensitive: true }],
    ['host=lab-host-1', { type: 'host', value: 'lab-host-1', negate: false }],
    ['state=running', { type: 'power-state', value: 'running', negate: false }],
    ['storage~^/pools/fast', { type: 'storage', pattern: '^/pools/fast', negate: false }],
    ['os~debian', { type: 'guest-os', pattern: 'debian', negate: false }],
    ['tag:env', { type: 'tag', key: 'env' }],
    ['tag:env~prod', { type: 'tag', key: 'env', pattern: 'prod', negate: false }],
    ['name~a=b~c', { type: 'name', pattern: 'a=b~c', negate: false, caseSensitive: false }],
  ])('%s', (text, rule) => {
    expect(parseRule(text)).toEqual(rule);
    expect(formatRule(parseRule(text))).toBe(text);
  });

  it.each(['web', 'host~x', 'colour=red', 'name=web', ''])(
    'rejects %j with the syntax in the message',
    (text) => {
      expect(() => parseRule(text)).toThrow(/Write one of: name~REGEX/);
    },
  );
});

import type { RuleInput } from '../../shared/domain/rules';
import { HyperkeepError } from '../../shared/errors';

/**
 * The CLI's compact rule syntax:
 *   name~REGEX   name!~REGEX   (add `name~~REGEX` for a case-sensitive match)
 *   host=HOST    host!=HOST    state=running   storage~REGEX   os~REGEX   description~REGEX
 *   tag:KEY      tag:KEY~REGEX
 */
const FIELDS: Record<string, 'name' | 'storage' | 'guest-os' | 'description'> = {
  name: 'name',
  storage: 'storage',
  os: 'guest-os',
  'guest-os': 'guest-os',
  description: 'description',
};

export const RULE_SYNTAX_HELP =
  'name~REGEX, name!~REGEX, name~~REGEX (case-sensitive), host=HOST, state=running, storage~REGEX, os~REGEX, description~REGEX, tag:KEY, tag:KEY~REGEX';

export function parseRule(text: string): RuleInput {
  const bad = () =>
    new HyperkeepError(
      'INVALID_INPUT',
      `Cannot read the rule "${text}". Write one of: ${RULE_SYNTAX_HELP}`,
      { field: 'rule' },
    );
  const tag = /^tag:([^~!=]+?)(?:(!?)~(.*))?$/.exec(text);
  if (tag) {
    const [, key, not, pattern] = tag;
    return pattern === undefined
      ? { type: 'tag', key: key! }
      : { type: 'tag', key: key!, pattern, negate: not === '!' };
  }
  const match = /^([a-z-]+)\s*(!~|~~|~|!=|=)\s*(.+)$/.exec(text);
  if (!match) throw bad();
  const [, field, op, value] = match as unknown as [string, string, string, string];
  const negate = op.startsWith('!');
  if (field === 'host' && (op === '=' || op === '!=')) return { type: 'host', value, negate };
  if ((field === 'state' || field === 'power-state') && (op === '=' || op === '!=')) {
    return { type: 'power-state', value: value as 'running', negate };
  }
  const type = FIELDS[field];
  if (!type || op === '=' || op === '!=') throw bad();
  if (type === 'name') return { type, pattern: value, negate, caseSensitive: op === '~~' };
  return { type, pattern: value, negate };
}

export function formatRule(rule: RuleInput): string {
  const not = rule.negate ? '!' : '';
  switch (rule.type) {
    case 'name':
      return `name${not}${rule.caseSensitive ? '~~' : '~'}${rule.pattern}`;
    case 'host':
      return `host${not}=${rule.value}`;
    case 'power-state':
      return `state${not}=${rule.value}`;
    case 'tag':
      return rule.pattern === undefined
        ? `tag:${rule.key}`
        : `tag:${rule.key}${not}~${rule.pattern}`;
    case 'guest-os':
      return `os${not}~${rule.pattern}`;
    default:
      return `${rule.type}${not}~${rule.pattern}`;
  }
}

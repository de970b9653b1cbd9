import { Rule, type RuleType, type SubclientContent } from '../../../../shared/domain/rules';
import { POWER_STATE_LABELS } from '../../vms/vm-text';

/** Rule types in the order the Select offers them; the first two are the patent's (FIG. 4). */
export const RULE_TYPES: readonly RuleType[] = [
  'name',
  'host',
  'storage',
  'power-state',
  'guest-os',
  'tag',
  'description',
];

export const RULE_TYPE_LABELS: Record<RuleType, string> = {
  name: 'Match VM names by regular expression',
  host: 'VM host affinity',
  storage: 'Storage pool / datastore',
  'power-state': 'Power state',
  'guest-os': 'Guest OS',
  tag: 'Tag / metadata',
  description: 'Description',
};

/** A fresh rule of a type, keeping what still makes sense from the rule it replaces. */
export function newRule(type: RuleType, from?: Rule): Rule {
  const negate = from?.negate ?? false;
  const pattern = from !== undefined && 'pattern' in from ? (from.pattern ?? '') : '';
  switch (type) {
    case 'name':
      return { type, pattern, caseSensitive: false, negate };
    case 'host':
      return { type, value: '', negate };
    case 'power-state':
      return { type, value: 'running', negate };
    case 'tag':
      return { type, key: '', pattern: pattern === '' ? undefined : pattern, negate };
    case 'storage':
    case 'guest-os':
    case 'description':
      return { type, pattern, negate };
  }
}

/** Whether the rule has every value it needs (the engine refuses incomplete ones). */
export function isComplete(rule: Rule): boolean {
  return Rule.safeParse(rule).success;
}

/** One line saying what a rule tests, as the rule list shows it. */
export function describeRule(rule: Rule): string {
  const not = rule.negate ? 'does not match' : 'matches';
  switch (rule.type) {
    case 'name':
      return rule.pattern === ''
        ? 'No pattern yet'
        : `Name ${not} /${rule.pattern}/${rule.caseSensitive ? '' : 'i'}`;
    case 'host':
      return rule.value === ''
        ? 'No host chosen yet'
        : `${rule.negate ? 'Not on' : 'On'} host ${rule.value}`;
    case 'storage':
      return rule.pattern === ''
        ? 'No pattern yet'
        : `A disk path or pool ${not} /${rule.pattern}/i`;
    case 'power-state':
      return `Power state ${rule.negate ? 'is not' : 'is'} ${POWER_STATE_LABELS[rule.value]}`;
    case 'guest-os':
      return rule.pattern === '' ? 'No pattern yet' : `Guest OS ${not} /${rule.pattern}/i`;
    case 'tag':
      if (rule.key === '') return 'No tag key yet';
      if (rule.pattern === undefined || rule.pattern === '') {
        return `Tag ${rule.key} ${rule.negate ? 'absent' : 'present'}`;
      }
      return `Tag ${rule.key} ${not} /${rule.pattern}/i`;
    case 'description':
      return rule.pattern === ''
        ? 'No pattern yet'
        : `Title or description ${not} /${rule.pattern}/i`;
  }
}

export function emptyContent(): SubclientContent {
  return { match: 'any', rules: [], exclusions: [] };
}

/** A tag rule with an emptied value pattern means "tag present", which the schema says by omission. */
export function normalizeRule(rule: Rule): Rule {
  if (rule.type === 'tag' && rule.pattern === '') {
    const { pattern: _omitted, ...rest } = rule;
    return rest;
  }
  return rule;
}

export function normalizeContent(content: SubclientContent): SubclientContent {
  return {
    match: content.match,
    rules: content.rules.map(normalizeRule),
    exclusions: content.exclusions.map(normalizeRule),
  };
}

/**
 * The part of a content definition the engine can evaluate now: complete rules only, with the
 * index each kept rule had in the editor so the engine's field errors land on the right row.
 */
export function previewableContent(content: SubclientContent): {
  content: SubclientContent;
  ruleIndex: number[];
  exclusionIndex: number[];
} {
  const ruleIndex: number[] = [];
  const exclusionIndex: number[] = [];
  const normalized = normalizeContent(content);
  const rules = normalized.rules.filter((rule, i) => isComplete(rule) && ruleIndex.push(i) > 0);
  const exclusions = normalized.exclusions.filter(
    (rule, i) => isComplete(rule) && exclusionIndex.push(i) > 0,
  );
  return { content: { match: content.match, rules, exclusions }, ruleIndex, exclusionIndex };
}

/** 'rules.0.pattern' of the previewed content → 'rules.3.pattern' of the editor's content. */
export function remapPreviewField(
  field: string,
  ruleIndex: readonly number[],
  exclusionIndex: readonly number[],
): string {
  const match = /^(rules|exclusions)\.(\d+)(\..*)?$/.exec(field);
  if (match === null) return field;
  const map = match[1] === 'rules' ? ruleIndex : exclusionIndex;
  const original = map[Number(match[2])];
  return original === undefined ? field : `${match[1]}.${original}${match[3] ?? ''}`;
}

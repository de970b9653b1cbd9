import type { Rule, SubclientContent } from '../../../shared/domain/rules';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { compilePattern, testRegexBatch } from './safe-regex';

/** What a rule can see of a VM: the VM itself and the names of its hypervisor. */
export interface RuleSubject {
  vm: VirtualMachine;
  /** the hypervisor's registered name and the host's hostname, for host affinity */
  hostNames: string[];
}

/** A subclient's rules, ready to run, in evaluation order. */
export interface RuleSet {
  subclientId: string;
  subclientName: string;
  content: SubclientContent;
  /** filters.excludeVms: names or globs */
  excludeVms: string[];
}

export interface Membership {
  subclientId: string;
  reason: string;
}

type Regexed = Extract<Rule, { pattern?: string }>;

function describeRule(rule: Rule): string {
  const not = rule.negate ? 'not ' : '';
  switch (rule.type) {
    case 'name':
      return `name ${not}matching /${rule.pattern}/${rule.caseSensitive ? '' : 'i'}`;
    case 'host':
      return `host ${not}= ${rule.value}`;
    case 'storage':
      return `storage ${not}matching /${rule.pattern}/i`;
    case 'power-state':
      return `power state ${not}= ${rule.value}`;
    case 'guest-os':
      return `guest OS ${not}matching /${rule.pattern}/i`;
    case 'tag':
      return `tag ${rule.key}${rule.pattern ? ` ${not}matching /${rule.pattern}/i` : not ? ' absent' : ' present'}`;
    case 'description':
      return `description ${not}matching /${rule.pattern}/i`;
  }
}

/** The first of `globs` (VM names or * ? globs, any case) that names `vmName`, if any. */
export function excludingGlob(globs: readonly string[], vmName: string): string | undefined {
  return globs.find((glob) => globToRegex(glob).test(vmName));
}

function globToRegex(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function metadataValues(vm: VirtualMachine, key: string): string[] {
  const wanted = key.toLowerCase();
  return Object.entries(vm.metadata)
    .filter(([k]) => {
      const lower = k.toLowerCase();
      return (
        lower === wanted ||
        lower.endsWith(`:${wanted}`) ||
        lower.endsWith(`/${wanted}`) ||
        lower.endsWith(`}${wanted}`)
      );
    })
    .map(([, v]) => v);
}

/** The strings a regex rule is tested against (any match counts). */
function subjectsOf(rule: Regexed, subject: RuleSubject): string[] {
  const { vm } = subject;
  switch (rule.type) {
    case 'name':
      return [vm.name];
    case 'storage':
      return vm.disks.map((d) => d.path);
    case 'guest-os':
      return [vm.guestOs ?? '', vm.osType ?? ''].filter(Boolean);
    case 'description':
      return [vm.description ?? '', vm.title ?? ''].filter(Boolean);
    case 'tag':
      return metadataValues(vm, rule.key);
    default:
      return [];
  }
}

/**
 * Evaluates every VM against the rule sets in order: first match wins, the reason says which rule.
 * All regex tests of one evaluation run as one time-bounded batch (see safe-regex.ts).
 */
export function evaluateRules(
  ruleSets: RuleSet[],
  subjects: RuleSubject[],
): { memberships: (Membership | undefined)[]; warnings: string[] } {
  const regexes: RegExp[] = [];
  const regexOwner: string[] = [];
  const regexIndex = new Map<Rule, number>();
  ruleSets.forEach((set) => {
    [...set.content.rules, ...set.content.exclusions].forEach((rule, i) => {
      if (!('pattern' in rule) || rule.pattern === undefined) return;
      const compiled = compilePattern(
        rule.pattern,
        rule.type === 'name' && rule.caseSensitive,
        `rules.${i}.pattern`,
      );
      regexIndex.set(rule, regexes.length);
      regexes.push(compiled.regex);
      regexOwner.push(`${set.subclientName}: ${describeRule(rule)}`);
    });
  });

  // Phase 1: every regex test any VM needs, in one batch.
  const pairs: [number, string][] = [];
  const pairIndex = new Map<string, number>();
  for (const subject of subjects) {
    for (const [rule, r] of regexIndex) {
      for (const text of subjectsOf(rule as Regexed, subject)) {
        const key = `${r}\u0000${text}`;
        if (!pairIndex.has(key)) {
          pairIndex.set(key, pairs.length);
          pairs.push([r, text]);
        }
      }
    }
  }
  const { results, timedOut } = testRegexBatch(regexes, pairs);
  const warnings = [...timedOut].map(
    (r) =>
      `The rule "${regexOwner[r]}" took too long to evaluate (catastrophic backtracking?) and matched nothing. Simplify the regular expression.`,
  );
  const regexMatches = (rule: Rule, text: string) =>
    results[pairIndex.get(`${regexIndex.get(rule)}\u0000${text}`)!] === true;

  const matches = (rule: Rule, subject: RuleSubject): boolean => {
    let hit: boolean;
    switch (rule.type) {
      case 'host':
        hit = subject.hostNames.some((h) => h.toLowerCase() === rule.value.toLowerCase());
        break;
      case 'power-state':
        hit = subject.vm.powerState === rule.value;
        break;
      case 'tag':
        hit =
          rule.pattern === undefined
            ? metadataValues(subject.vm, rule.key).length > 0
            : subjectsOf(rule, subject).some((t) => regexMatches(rule, t));
        break;
      default:
        hit = subjectsOf(rule as Regexed, subject).some((t) => regexMatches(rule, t));
    }
    return rule.negate ? !hit : hit;
  };

  // Phase 2: membership, first matching subclient wins.
  const excludeGlobs = ruleSets.map((set) => set.excludeVms.map(globToRegex));
  const memberships = subjects.map((subject): Membership | undefined => {
    for (const [i, set] of ruleSets.entries()) {
      const { match, rules, exclusions } = set.content;
      if (rules.length === 0) continue;
      const hits = rules.filter((rule) => matches(rule, subject));
      const qualifies = match === 'all' ? hits.length === rules.length : hits.length > 0;
      if (!qualifies) continue;
      if (exclusions.some((rule) => matches(rule, subject))) continue;
      if (excludeGlobs[i]!.some((g) => g.test(subject.vm.name))) continue;
      const why =
        match === 'all'
          ? `matches all of: ${rules.map(describeRule).join(', ')}`
          : `${describeRule(hits[0]!)}`;
      return { subclientId: set.subclientId, reason: `${why} (subclient ${set.subclientName})` };
    }
    return undefined;
  });
  return { memberships, warnings };
}

/** Checks every pattern of a content definition, naming the field of the first bad one. */
export function validateContent(content: SubclientContent): void {
  content.rules.forEach((rule, i) => {
    if ('pattern' in rule && rule.pattern !== undefined)
      compilePattern(
        rule.pattern,
        rule.type === 'name' && rule.caseSensitive,
        `content.rules.${i}.pattern`,
      );
  });
  content.exclusions.forEach((rule, i) => {
    if ('pattern' in rule && rule.pattern !== undefined)
      compilePattern(rule.pattern, false, `content.exclusions.${i}.pattern`);
  });
}

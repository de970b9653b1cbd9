import vm from 'node:vm';
import { HyperkeepError } from '../../../shared/errors';

/**
 * Administrators type regular expressions; a pathological one (`^(a+)+$` against a long name)
 * backtracks for minutes. JavaScript has no regex timeout, but a vm script does: all tests of one
 * evaluation run in a single script with a time budget, and when the budget runs out each pattern
 * is retried alone to find the culprit, which then counts as "no match" with a warning.
 */
const BATCH_BUDGET_MS = 2_000;
const SINGLE_BUDGET_MS = 100;

const script = new vm.Script('pairs.map(([r, s]) => regexes[r].test(s))');

export interface CompiledPattern {
  source: string;
  regex: RegExp;
}

/** Compiles an administrator's pattern, with Unicode semantics where the pattern allows them. */
export function compilePattern(
  pattern: string,
  caseSensitive: boolean,
  field: string,
): CompiledPattern {
  const flags = caseSensitive ? '' : 'i';
  for (const extra of ['u', '']) {
    try {
      return { source: pattern, regex: new RegExp(pattern, flags + extra) };
    } catch (err) {
      if (extra === '') {
        throw new HyperkeepError(
          'INVALID_INPUT',
          `Invalid regular expression /${pattern}/: ${(err as Error).message.replace(/^Invalid regular expression: (\/.*\/[a-z]*: )?/, '')}`,
          { field },
        );
      }
    }
  }
  throw new HyperkeepError('INVALID_INPUT', `Invalid regular expression /${pattern}/`, { field });
}

function run(regexes: RegExp[], pairs: [number, string][], timeout: number): boolean[] {
  return script.runInNewContext({ regexes, pairs }, { timeout }) as boolean[];
}

export interface RegexBatchResult {
  /** results[i] answers pairs[i] */
  results: boolean[];
  /** indexes of patterns that ran out of time */
  timedOut: Set<number>;
}

export function testRegexBatch(regexes: RegExp[], pairs: [number, string][]): RegexBatchResult {
  const timedOut = new Set<number>();
  if (pairs.length === 0) return { results: [], timedOut };
  for (const r of regexes) r.lastIndex = 0;
  try {
    return { results: run(regexes, pairs, BATCH_BUDGET_MS), timedOut };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw err;
  }
  // Find the slow patterns one by one; the others are evaluated normally.
  const results = new Array<boolean>(pairs.length).fill(false);
  regexes.forEach((_, index) => {
    const mine = pairs.map((p, i) => [p, i] as const).filter(([p]) => p[0] === index);
    if (mine.length === 0) return;
    try {
      const answers = run(
        regexes,
        mine.map(([p]) => p),
        Math.min(BATCH_BUDGET_MS, SINGLE_BUDGET_MS * mine.length),
      );
      mine.forEach(([, i], k) => (results[i] = answers[k]!));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw err;
      timedOut.add(index);
    }
  });
  return { results, timedOut };
}

/**
 * How a name search finds its candidate names (issue 5: ≤ 200 ms across 1M files). Every lookup
 * returns a superset of the matches, in an order that lets the search stop at its limit; the
 * exact glob is checked on each name afterwards.
 */

/** Glob (* and ?) → an anchored, case-insensitive regular expression. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'iu');
}

/**
 * Glob → LIKE over lower-cased names. `%` and `_` in the glob also act as wildcards here; the
 * exact glob is checked afterwards, so the LIKE only has to find a superset quickly.
 */
export function globToLike(glob: string): string {
  return glob.toLowerCase().replace(/\*/g, '%').replace(/\?/g, '_');
}

/** Glob → SQLite GLOB over lower-cased names: `[` starts a class there, `[[]` is a literal `[`. */
export function globToSqliteGlob(glob: string): string {
  return glob.toLowerCase().replace(/\[/g, '[[]');
}

/** The trigram index needs 3 characters in a row without wildcards. */
function usesTrigrams(like: string): boolean {
  return like.split(/[%_]/).some((run) => [...run].length >= 3);
}

/**
 * The smallest string above every string starting with `prefix` (UTF-8 order is code point
 * order): the prefix with its last code point raised by one; null when there is none.
 */
export function prefixUpperBound(prefix: string): string | null {
  const points = [...prefix].map((c) => c.codePointAt(0)!);
  while (points.length > 0) {
    let last = points.pop()! + 1;
    if (last >= 0xd800 && last <= 0xdfff) last = 0xe000; // no code points there
    if (last <= 0x10ffff) return String.fromCodePoint(...points, last);
  }
  return null;
}

/** The indexed expression of fc_names_by_ending: the last two characters, reversed. */
const ENDING = 'substr(name_lc, -1) || substr(name_lc, -2, 1)';

export type NameLookupKind = 'prefix' | 'trigram' | 'ending' | 'scan';

/** A query returning `id` of candidate names, with its parameters. */
export interface NameLookup {
  kind: NameLookupKind;
  sql: string;
  params: string[];
}

/**
 * Picks the index for a glob: a literal prefix of 3+ characters is a range of fc_names_by_lc;
 * else 3 literal characters in a row use the trigram index; else a shorter prefix is a range;
 * else a literal ending ('*.c') is a range of fc_names_by_ending; else ('?', '*x*') every name
 * is read from the smallest index, stopping at the limit.
 */
export function planNameLookup(pattern: string): NameLookup {
  const lc = pattern.toLowerCase();
  const glob = globToSqliteGlob(pattern);
  const firstWildcard = lc.search(/[*?]/);
  const prefix = firstWildcard < 0 ? lc : lc.slice(0, firstWildcard);
  const ending = lc.slice(Math.max(lc.lastIndexOf('*'), lc.lastIndexOf('?')) + 1);
  const like = globToLike(pattern);
  const trigrams = usesTrigrams(like);
  const range = (expression: string, from: string, order: string): NameLookup => {
    const upper = prefixUpperBound(from);
    return {
      kind: expression === 'name_lc' ? 'prefix' : 'ending',
      sql:
        `SELECT id FROM fc_names WHERE ${expression} >= ?` +
        (upper === null ? '' : ` AND ${expression} < ?`) +
        ` AND name_lc GLOB ? ORDER BY ${order}`,
      params: upper === null ? [from, glob] : [from, upper, glob],
    };
  };
  const prefixLength = [...prefix].length;
  if (prefixLength >= 3 || (prefixLength > 0 && !trigrams))
    return range('name_lc', prefix, 'name_lc');
  if (trigrams)
    return {
      kind: 'trigram',
      sql: 'SELECT rowid AS id FROM fc_names_fts WHERE name_lc LIKE ?',
      params: [like],
    };
  if (ending !== '') {
    const reversed = [...ending].reverse().slice(0, 2).join('');
    return range(ENDING, reversed, `${ENDING}, id`);
  }
  return {
    kind: 'scan',
    sql: 'SELECT id FROM fc_names INDEXED BY fc_names_by_lc WHERE name_lc GLOB ? ORDER BY name_lc',
    params: [glob],
  };
}

import type { z } from 'zod';
import { ApiError, describeError } from '../../api/api-error';

/**
 * Errors of a backup set or subclient form, keyed by the dotted path of the field they are about,
 * the way the engine names them in `details.field` ('name', 'content.rules.1.pattern',
 * 'settings.schedule.full').
 */
export interface FieldErrors {
  fields: Record<string, string>;
  /** What belongs to no field: shown in an Alert above the buttons. */
  general?: string;
}

export const NO_ERRORS: FieldErrors = { fields: {} };

interface IssueLike {
  path: readonly PropertyKey[] | string;
  message: string;
  code?: string;
  expected?: unknown;
}

function pathOf(path: IssueLike['path']): string {
  return typeof path === 'string' ? path : path.map(String).join('.');
}

/** The schedule check names the expression it was validating; the zone has a field of its own. */
function normalizeField(field: string): string {
  return field.endsWith('.timezone') && field.startsWith('settings.schedule.')
    ? 'settings.schedule.timezone'
    : field;
}

function messageOf(issue: IssueLike): string {
  // An emptied number box reaches zod as NaN; say what to type instead of "received NaN".
  if (issue.code === 'invalid_type' && issue.expected === 'number') return 'Enter a whole number';
  return issue.message;
}

export function fieldErrorsFromIssues(issues: readonly IssueLike[], prefix = ''): FieldErrors {
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    const field = normalizeField(prefix + pathOf(issue.path));
    if (fields[field] === undefined) fields[field] = messageOf(issue);
  }
  return { fields };
}

export function fieldErrorsFromZod(error: z.ZodError, prefix = ''): FieldErrors {
  return fieldErrorsFromIssues(error.issues as IssueLike[], prefix);
}

function issuesIn(details: Record<string, unknown> | undefined): IssueLike[] {
  const issues = details?.['issues'];
  if (!Array.isArray(issues)) return [];
  return issues.filter(
    (issue): issue is IssueLike =>
      typeof issue === 'object' &&
      issue !== null &&
      typeof (issue as IssueLike).message === 'string' &&
      (typeof (issue as IssueLike).path === 'string' || Array.isArray((issue as IssueLike).path)),
  );
}

/**
 * Where an engine error belongs: next to the field(s) it names (zod issues first, then
 * `details.field`), otherwise in the dialog's alert. `prefix` re-roots the engine's paths, e.g.
 * 'content.' for a rules.preview of a subclient's content.
 */
export function fieldErrorsFrom(err: unknown, prefix = ''): FieldErrors {
  if (!(err instanceof ApiError)) return { fields: {}, general: describeError(err) };
  if (err.code === 'INVALID_INPUT' || err.code === 'ALREADY_EXISTS' || err.code === 'NOT_FOUND') {
    const issues = issuesIn(err.details);
    if (issues.length > 0) return fieldErrorsFromIssues(issues, prefix);
    const field = err.details?.['field'];
    if (typeof field === 'string' && field !== '') {
      return { fields: { [normalizeField(prefix + field)]: err.message } };
    }
  }
  return { fields: {}, general: describeError(err) };
}

/** Errors under a path, re-rooted: errorsUnder({'content.rules.0.pattern': m}, 'content.') */
export function errorsUnder(
  fields: Record<string, string>,
  prefix: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, message] of Object.entries(fields)) {
    if (field.startsWith(prefix)) out[field.slice(prefix.length)] = message;
  }
  return out;
}

export function hasErrorUnder(
  fields: Record<string, string>,
  prefixes: readonly string[],
): boolean {
  return Object.keys(fields).some((field) =>
    prefixes.some((prefix) => field === prefix || field.startsWith(`${prefix}.`)),
  );
}

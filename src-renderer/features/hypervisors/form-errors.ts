import type { z } from 'zod';
import { ApiError, describeError } from '../../api/api-error';

export const FORM_FIELDS = [
  'name',
  'type',
  'uri',
  'username',
  'password',
  'certificateFingerprint',
] as const;
export type FormField = (typeof FORM_FIELDS)[number];

export interface FormErrors {
  fields: Partial<Record<FormField, string>>;
  /** What does not belong to one field: shown in an Alert above the buttons. */
  general?: string;
}

function isFormField(name: unknown): name is FormField {
  return typeof name === 'string' && (FORM_FIELDS as readonly string[]).includes(name);
}

/** Field errors from zod issues, whether produced here or sent by the engine in `details.issues`. */
export function fieldErrorsFromIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): Partial<Record<FormField, string>> {
  const fields: Partial<Record<FormField, string>> = {};
  for (const issue of issues) {
    const field = issue.path[0];
    if (isFormField(field) && fields[field] === undefined) fields[field] = issue.message;
  }
  return fields;
}

/** The engine sends zod issues with `path` joined ("name") or as an array (["name"]). */
function issuesIn(details: Record<string, unknown> | undefined) {
  const issues = details?.['issues'];
  if (!Array.isArray(issues)) return [];
  const parsed: { path: PropertyKey[]; message: string }[] = [];
  for (const issue of issues) {
    if (typeof issue !== 'object' || issue === null) continue;
    const { path, message } = issue as { path?: unknown; message?: unknown };
    if (typeof message !== 'string') continue;
    if (Array.isArray(path)) parsed.push({ path, message });
    else if (typeof path === 'string') parsed.push({ path: path.split('.'), message });
  }
  return parsed;
}

/**
 * Where an error from saving or testing belongs: next to the field it is about when the engine
 * says so (INVALID_URI, INVALID_INPUT with `details.field` or zod `details.issues`), otherwise
 * in the dialog's alert.
 */
export function formErrorsFrom(err: unknown): FormErrors {
  if (!(err instanceof ApiError)) return { fields: {}, general: describeError(err) };
  if (err.code === 'INVALID_URI') return { fields: { uri: err.message } };
  const namedField = err.details?.['field'];
  if (isFormField(namedField) && (err.code === 'INVALID_INPUT' || err.code === 'ALREADY_EXISTS')) {
    return { fields: { [namedField]: err.message } };
  }
  if (err.code === 'INVALID_INPUT') {
    const fields = fieldErrorsFromIssues(issuesIn(err.details));
    if (Object.keys(fields).length > 0) return { fields };
  }
  return { fields: {}, general: describeError(err) };
}

export function formErrorsFromZod(error: z.ZodError): FormErrors {
  return { fields: fieldErrorsFromIssues(error.issues) };
}

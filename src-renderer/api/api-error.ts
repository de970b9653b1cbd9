import type { ErrorCode } from '../../shared/errors';

/**
 * Codes the engine sends, plus one only the console can produce: the engine itself could not be
 * reached (server stopped, page opened from a plain file server, network down).
 */
export type ApiErrorCode = ErrorCode | 'ENGINE_UNREACHABLE';

/** An error answered by the engine (or about reaching it), typed so the UI can react to the code. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** The channel that was invoked, for messages such as "while listing VMs". */
  readonly channel: string | undefined;

  constructor(
    code: ApiErrorCode,
    message: string,
    details?: Record<string, unknown>,
    channel?: string,
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = details;
    this.channel = channel;
  }
}

const HINTS: Partial<Record<ApiErrorCode, string>> = {
  UNAUTHORIZED:
    'Open the console with the link `hyperkeep serve` printed when it started: it carries the access token.',
  HOME_LOCKED: 'Another Hyperkeep engine is using the same data home; stop it or use another home.',
};

/**
 * The text a person sees for any failure: the engine's own message (written for administrators),
 * with a hint where the code calls for one. Never a stack trace.
 */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const hint = HINTS[err.code];
    return hint === undefined ? err.message : `${err.message} ${hint}`;
  }
  if (err instanceof Error) return `Unexpected error in the console: ${err.message}`;
  return `Unexpected error in the console: ${String(err)}`;
}

export function errorCodeOf(err: unknown): ApiErrorCode {
  return err instanceof ApiError ? err.code : 'INTERNAL';
}

/** Anything caught, as an ApiError, so stores keep one error type (with its code) for the UI. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError('INTERNAL', describeError(err));
}

import { z } from 'zod';

/** Error codes that cross the IPC/HTTP boundary. Each maps to something a person can act on. */
export const ErrorCode = z.enum([
  'INVALID_INPUT', // a payload failed its schema, or a value makes no sense
  'INVALID_URI', // a hypervisor URI libvirt (or vSphere) would not accept
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'CONNECT_FAILED', // the hypervisor cannot be reached (refused, no socket, DNS, timeout)
  'AUTH_FAILED', // wrong user name or password, or authentication method not offered
  'HYPERVISOR_ERROR', // the hypervisor answered with an error of its own
  'HOME_LOCKED', // another engine already runs on this data home
  'UNAUTHORIZED', // a request without the server's token
  'TIMEOUT',
  'CANCELLED',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorData = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorData = z.infer<typeof ErrorData>;

/** The one error type of Hyperkeep: thrown inside the engine, sent as data across the boundary. */
export class HyperkeepError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HyperkeepError';
    this.code = code;
    this.details = details;
  }
  toData(): ErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
  static fromData(data: ErrorData): HyperkeepError {
    return new HyperkeepError(data.code, data.message, data.details);
  }
}

/** Turns anything thrown into error data; unexpected errors keep their message but say INTERNAL. */
export function toErrorData(err: unknown): ErrorData {
  if (err instanceof HyperkeepError) return err.toData();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `Unexpected error: ${message}` };
}

/** What every invoke answers: a value or error data, never a thrown exception across the boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

import { z } from 'zod';
import { contract, type Channel, type ResponseOf } from '../../shared/contract';
import { ErrorData } from '../../shared/errors';
import { ApiError } from './api-error';

const ResultEnvelope = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorData }),
]);

/** Shortens zod issues to one line an administrator can paste into a bug report. */
export function summarizeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Turns what the engine answered into the channel's value, or throws an ApiError. Both the
 * envelope and the value are checked against the contract: a mismatch means the console and the
 * engine disagree about the protocol, and saying so beats rendering half-broken data.
 */
export function decodeResult<C extends Channel>(
  channel: C,
  raw: unknown,
  httpStatus?: number,
): ResponseOf<C> {
  const envelope = ResultEnvelope.safeParse(raw);
  if (!envelope.success) {
    const where = httpStatus === undefined ? '' : ` (HTTP ${httpStatus})`;
    throw new ApiError(
      httpStatus !== undefined && httpStatus >= 400 ? 'ENGINE_UNREACHABLE' : 'INTERNAL',
      `The Hyperkeep engine sent an answer to ${channel}${where} that is not a Hyperkeep result: ${summarizeIssues(envelope.error)}.`,
      undefined,
      channel,
    );
  }
  if (!envelope.data.ok) {
    const { code, message, details } = envelope.data.error;
    throw new ApiError(code, message, details, channel);
  }
  const value = contract[channel].response.safeParse(envelope.data.value);
  if (!value.success) {
    throw new ApiError(
      'INTERNAL',
      `The Hyperkeep engine answered ${channel} with data this console does not understand (${summarizeIssues(value.error)}). Are the console and the engine the same version?`,
      undefined,
      channel,
    );
  }
  return value.data as ResponseOf<C>;
}

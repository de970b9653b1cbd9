import { contract, isChannel } from '../../../shared/contract';
import { HyperkeepError, toErrorData, type Result } from '../../../shared/errors';
import type { Handlers } from './handlers';

/**
 * The one path every request takes, whatever the transport: channel check → request schema →
 * handler → response schema → result as data. Nothing thrown escapes to the transport.
 */
export async function dispatch(
  handlers: Handlers,
  channel: string,
  payload: unknown,
): Promise<Result<unknown>> {
  try {
    if (!isChannel(channel)) throw new HyperkeepError('NOT_FOUND', `Unknown channel "${channel}".`);
    const spec = contract[channel];
    const parsed = spec.request.safeParse(payload ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || undefined;
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Invalid request for ${channel}: ${field ? `${field}: ` : ''}${issue?.message ?? 'malformed payload'}`,
        {
          ...(field ? { field } : {}),
          issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        },
      );
    }
    const handler = handlers[channel] as (request: unknown) => unknown;
    const value = await handler(parsed.data);
    // The response schema guards the boundary too: a secret or a malformed value never leaves.
    return { ok: true, value: spec.response.parse(value) };
  } catch (err) {
    return { ok: false, error: toErrorData(err) };
  }
}

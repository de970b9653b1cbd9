import type { Channel, RequestOf, ResponseOf } from '../../shared/contract';
import type { ErrorData } from '../../shared/errors';
import { dispatch } from '../../src-main/engine/api/dispatch';
import type { Handlers } from '../../src-main/engine/api/handlers';
import { virsh } from './exec';

/**
 * A channel called as the console calls it (schema-validated dispatch); a refusal throws an
 * Error whose message names the channel and code, with the ErrorData as `data`.
 */
export async function apiCall<C extends Channel>(
  handlers: Handlers,
  channel: C,
  request: RequestOf<C>,
): Promise<ResponseOf<C>> {
  const result = await dispatch(handlers, channel, request);
  if (!result.ok) {
    throw Object.assign(new Error(`${channel}: ${result.error.code} ${result.error.message}`), {
      data: result.error,
    });
  }
  return result.value as ResponseOf<C>;
}

/** The refusal of a call that must be refused; a success fails the test. */
export async function apiRefusal<C extends Channel>(
  handlers: Handlers,
  channel: C,
  request: RequestOf<C>,
): Promise<ErrorData> {
  const result = await dispatch(handlers, channel, request);
  if (result.ok) throw new Error(`${channel} succeeded where it should have been refused`);
  return result.error;
}

/** The MAC addresses of a libvirt domain's interfaces, in its order. */
export async function macAddresses(uri: string, domain: string): Promise<string[]> {
  const out = await virsh(uri, 'domiflist', domain);
  return [...out.matchAll(/([0-9a-f]{2}(?::[0-9a-f]{2}){5})/g)].map((m) => m[1]!);
}

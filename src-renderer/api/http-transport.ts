import type { Channel } from '../../shared/contract';
import { ApiError } from './api-error';

/** Long enough for a first qemu:///system connection (capability probe), short enough to not hang. */
const INVOKE_TIMEOUT_MS = 120_000;

export interface RawAnswer {
  body: unknown;
  status: number;
}

/**
 * POSTs one request to `hyperkeep serve` and returns the parsed JSON, whatever its status (a 401 or
 * 400 also carries a Result envelope). `baseUrl` is the page's own address in the browser, so the
 * console works whether it is served at the root or under a path.
 */
export async function postInvoke(
  baseUrl: string,
  channel: Channel,
  request: unknown,
): Promise<RawAnswer> {
  const url = new URL(`api/invoke/${encodeURIComponent(channel)}`, baseUrl);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(request),
      credentials: 'same-origin',
      signal: AbortSignal.timeout(INVOKE_TIMEOUT_MS),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'TimeoutError') {
      throw new ApiError(
        'TIMEOUT',
        `The Hyperkeep engine did not answer ${channel} within ${INVOKE_TIMEOUT_MS / 1000} s.`,
        undefined,
        channel,
      );
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new ApiError(
      'ENGINE_UNREACHABLE',
      `Cannot reach the Hyperkeep engine at ${url.origin} (${reason}). Is \`hyperkeep serve\` still running?`,
      undefined,
      channel,
    );
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(
      'ENGINE_UNREACHABLE',
      `No Hyperkeep engine answered at ${url.origin} (HTTP ${response.status} ${response.statusText} to ${channel}, not a Hyperkeep reply). Open the console from the address \`hyperkeep serve\` printed.`,
      undefined,
      channel,
    );
  }
  return { body, status: response.status };
}

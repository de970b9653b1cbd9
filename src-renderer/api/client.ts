import type {
  Channel,
  EventName,
  EventPayload,
  HyperkeepApi,
  RequestOf,
  ResponseOf,
} from '../../shared/contract';
import type { Result } from '../../shared/errors';
import { ApiError } from './api-error';
import { decodeResult } from './envelope';
import { EventSocket, type ConnectionStatus } from './event-socket';
import { postInvoke } from './http-transport';

/**
 * The only door between the console and the engine. Inside Electron the preload puts
 * `window.hyperkeep` (one function per channel); in a browser the same calls go over HTTP to
 * `hyperkeep serve` and events arrive over a WebSocket. Callers never see the difference.
 */
declare global {
  interface Window {
    hyperkeep?: HyperkeepApi;
  }
}

export { ApiError, describeError, toApiError } from './api-error';
export type { ConnectionStatus } from './event-socket';

function embeddedApi(): HyperkeepApi | undefined {
  return typeof window === 'undefined' ? undefined : window.hyperkeep;
}

/** True inside the Electron window, where there is no network connection to lose. */
export function isEmbedded(): boolean {
  return embeddedApi() !== undefined;
}

export async function invoke<C extends Channel>(
  channel: C,
  request: RequestOf<C>,
): Promise<ResponseOf<C>> {
  const api = embeddedApi();
  if (api !== undefined) {
    const call = api[channel] as unknown as (req: RequestOf<C>) => Promise<Result<ResponseOf<C>>>;
    if (typeof call !== 'function') {
      throw new ApiError(
        'INTERNAL',
        `This Hyperkeep window does not offer ${channel}: the preload and the console are from different versions.`,
        undefined,
        channel,
      );
    }
    return decodeResult(channel, await call(request));
  }
  const answer = await postInvoke(window.location.href, channel, request);
  return decodeResult(channel, answer.body, answer.status);
}

let socket: EventSocket | null = null;

function eventSocket(): EventSocket {
  if (socket === null) {
    const url = new URL('api/events', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = '';
    url.hash = '';
    socket = new EventSocket(url.href);
  }
  return socket;
}

export function onEvent<E extends EventName>(
  name: E,
  listener: (payload: EventPayload<E>) => void,
): () => void {
  const api = embeddedApi();
  if (api !== undefined) return api.on(name, listener);
  return eventSocket().subscribe(name, (payload) => listener(payload as EventPayload<E>));
}

/** Connection to the engine's event stream; always "connected" inside Electron. */
export function onConnectionStatus(listener: (status: ConnectionStatus) => void): () => void {
  if (isEmbedded()) {
    listener({ state: 'connected', everConnected: true, failures: 0 });
    return () => undefined;
  }
  return eventSocket().onStatus(listener);
}

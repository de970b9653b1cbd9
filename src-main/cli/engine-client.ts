import type { Channel, RequestOf, ResponseOf } from '../../shared/contract';
import { HyperkeepError, type Result } from '../../shared/errors';
import { dispatch } from '../engine/api/dispatch';
import { createHandlers } from '../engine/api/handlers';
import { Engine } from '../engine/engine';
import { readServerEndpoint } from '../engine/home';

/** What a CLI command talks to: the running `serve` of its home if there is one, else its own engine. */
export interface EngineClient {
  call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  close(): Promise<void>;
  /**
   * True when a `serve` of the home runs the jobs; false when this command has its own engine,
   * whose jobs end with the command.
   */
  readonly served: boolean;
}

function unwrap<T>(result: Result<unknown>): T {
  if (!result.ok) throw HyperkeepError.fromData(result.error);
  return result.value as T;
}

export async function connectEngine(home: string): Promise<EngineClient> {
  const endpoint = readServerEndpoint(home);
  if (endpoint) {
    return {
      async call(channel, request) {
        let response: Response;
        try {
          response = await fetch(`${endpoint.url}/api/invoke/${channel}`, {
            method: 'POST',
            headers: {
              Authorization: `Bearer ${endpoint.token}`,
              'Content-Type': 'application/json',
            },
            body: JSON.stringify(request),
          });
        } catch (err) {
          throw new HyperkeepError(
            'CONNECT_FAILED',
            `The Hyperkeep server of ${home} (${endpoint.url}) does not answer: ${(err as Error).message}`,
          );
        }
        return unwrap(await response.json());
      },
      close: async () => undefined,
      served: true,
    };
  }
  const engine = Engine.open({ home, mode: 'cli' });
  const handlers = createHandlers(engine);
  return {
    call: async (channel, request) => unwrap(await dispatch(handlers, channel, request)),
    close: () => engine.close(),
    served: false,
  };
}

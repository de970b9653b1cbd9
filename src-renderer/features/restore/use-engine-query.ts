import { useCallback, useEffect, useState } from 'react';
import type { Channel, RequestOf, ResponseOf } from '../../../shared/contract';
import { invoke } from '../../api/client';
import { toApiError, type ApiError } from '../../api/api-error';

export interface QueryState<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
}

/**
 * A restore point never changes once written, so what the catalog says about one (a folder, its
 * volumes) is kept for the session: going back to a folder is instant. Bounded, oldest out.
 */
const CACHEABLE: ReadonlySet<Channel> = new Set<Channel>(['files.list', 'points.volumes']);
const CACHE_LIMIT = 400;
const cache = new Map<string, unknown>();

function remember(key: string, value: unknown): void {
  cache.set(key, value);
  if (cache.size > CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
}

/** Asks the engine once (from the cache for point data), or never while `request` is null. */
export async function queryEngine<C extends Channel>(
  channel: C,
  request: RequestOf<C>,
): Promise<ResponseOf<C>> {
  const key = `${channel} ${JSON.stringify(request)}`;
  if (CACHEABLE.has(channel) && cache.has(key)) return cache.get(key) as ResponseOf<C>;
  const value = await invoke(channel, request);
  if (CACHEABLE.has(channel)) remember(key, value);
  return value;
}

/** The answer to one request, re-asked whenever the request changes; the latest request wins. */
export function useEngineQuery<C extends Channel>(
  channel: C,
  request: RequestOf<C> | null,
): QueryState<ResponseOf<C>> {
  const key = request === null ? null : JSON.stringify(request);
  const [state, setState] = useState<{
    key: string | null;
    data: ResponseOf<C> | undefined;
    error: ApiError | null;
  }>({ key: null, data: undefined, error: null });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (key === null) return;
    let current = true;
    queryEngine(channel, JSON.parse(key) as RequestOf<C>).then(
      (data) => {
        if (current) setState({ key, data, error: null });
      },
      (err: unknown) => {
        if (current) setState({ key, data: undefined, error: toApiError(err) });
      },
    );
    return () => {
      current = false;
    };
  }, [channel, key, attempt]);

  const reload = useCallback(() => {
    if (key !== null) cache.delete(`${channel} ${key}`);
    setAttempt((n) => n + 1);
  }, [channel, key]);

  const fresh = state.key === key;
  return {
    data: fresh ? state.data : undefined,
    error: fresh ? state.error : null,
    loading: key !== null && !fresh,
    reload,
  };
}

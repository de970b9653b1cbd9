/**
 * A small least-recently-used cache. Format readers keep decoded tables (qcow2 L2, VMDK grain
 * tables, VHD bitmaps) here so memory stays bounded however large or hostile the image is.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly maxEntries: number) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      // Re-insert so the Map's insertion order doubles as recency order.
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}

/**
 * The cached result of an async load, starting it on a miss. Concurrent readers of one key share
 * one load; a failed load is forgotten so it is not served to later readers.
 */
export function cachedLoad<K, T>(
  cache: LruCache<K, Promise<T>>,
  key: K,
  loader: () => Promise<T>,
): Promise<T> {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const pending = loader();
  pending.catch(() => {
    if (cache.get(key) === pending) cache.delete(key);
  });
  cache.set(key, pending);
  return pending;
}

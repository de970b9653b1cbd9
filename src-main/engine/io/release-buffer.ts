/**
 * Frees a buffer's memory now instead of at the next garbage collection that finds it.
 *
 * Why: V8 frees an ArrayBuffer's backing store only when a collection finds the buffer dead, and
 * it starts collecting for external memory only after ~64 MiB of it has grown. On the backup path
 * every chunk allocates its compressed and sealed copies (off the JS heap, in the thread's malloc
 * arena), so each data worker held up to 64 MiB of dead buffers, and glibc keeps an arena's pages
 * once touched. Detaching (`transfer(0)`) drops the backing store at once, so the next chunk
 * reuses the same memory.
 *
 * Only a view that spans its whole, unshared buffer of at least 64 KiB is released: smaller
 * Buffers may be slices of Node's shared pool, and a slice may have siblings still in use. The
 * caller must hold the only reference; any other view of the buffer reads as empty afterwards.
 */
export function releaseBuffer(view: Uint8Array): void {
  const buffer = view.buffer;
  if (
    buffer instanceof ArrayBuffer &&
    view.byteOffset === 0 &&
    view.byteLength === buffer.byteLength &&
    buffer.byteLength >= 64 * 1024 &&
    !buffer.detached
  ) {
    buffer.transfer(0);
  }
}

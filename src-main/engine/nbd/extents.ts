import { HyperkeepError } from '../../../shared/errors';
import type { NbdClient } from './client';
import { STATE_DIRTY, STATE_HOLE, STATE_ZERO, type Extent } from './protocol';

export { STATE_DIRTY, STATE_HOLE, STATE_ZERO, type Extent };

export const BASE_ALLOCATION = 'base:allocation';
export function dirtyBitmapContext(bitmap: string): string {
  return `qemu:dirty-bitmap:${bitmap}`;
}

/** Block status is asked for in windows this large (NBD lengths are 32-bit). */
const STATUS_WINDOW = 1024 * 1024 * 1024;

export interface ReadExtentsOptions {
  /** Metadata context name, e.g. 'base:allocation' or 'qemu:dirty-bitmap:b0'. */
  context: string;
  offset?: number;
  /** Default: to the end of the export. */
  length?: number;
  signal?: AbortSignal;
}

/** Fails with a message that says how to get the context, when the server did not select it. */
export function requireContext(client: NbdClient, context: string): void {
  if (client.metaContexts.has(context)) return;
  const offered = [...client.metaContexts.keys()];
  const hint = context.startsWith('qemu:dirty-bitmap:')
    ? ' — is the bitmap exported (qemu-nbd -B NAME, or a libvirt pull backup with a checkpoint)?'
    : '';
  throw new HyperkeepError(
    'NOT_FOUND',
    `NBD export at ${client.where} does not provide metadata context "${context}"${hint}` +
      (offered.length > 0 ? ` (selected: ${offered.join(', ')})` : ''),
    { context, offered },
  );
}

/**
 * Extents of one metadata context over [offset, offset+length), adjacent ones with equal flags
 * merged. The server may answer each window only partly; we continue from where it stopped.
 */
export async function* iterateExtents(
  client: NbdClient,
  options: ReadExtentsOptions,
): AsyncGenerator<Extent> {
  requireContext(client, options.context);
  const start = options.offset ?? 0;
  const end = options.length === undefined ? client.size : start + options.length;
  if (!Number.isSafeInteger(start) || start < 0 || end < start || end > client.size) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Extent range [${start}, ${end}) is outside the ${client.size}-byte NBD export`,
    );
  }
  const align = client.minimumBlockSize;
  let pending: Extent | undefined;
  let at = start;
  while (at < end) {
    const windowLength = Math.min(end - at, STATUS_WINDOW - (STATUS_WINDOW % align));
    const byContext = await client.blockStatus(at, windowLength, { signal: options.signal });
    const extents = byContext.get(options.context) ?? [];
    // blockStatus clips to the window and rejects zero-length descriptors, and the server must
    // send at least one: each round advances, so this loop ends.
    if (extents.length === 0) {
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `NBD server at ${client.where} sent no extents for ${options.context}`,
      );
    }
    for (const extent of extents) {
      if (
        pending &&
        pending.flags === extent.flags &&
        pending.offset + pending.length === extent.offset
      ) {
        pending.length += extent.length;
      } else {
        if (pending) yield pending;
        pending = { ...extent };
      }
      at = extent.offset + extent.length;
    }
  }
  if (pending) yield pending;
}

/** All extents of a context as an array (fine for maps; stream with iterateExtents for big disks). */
export async function readExtents(
  client: NbdClient,
  options: ReadExtentsOptions,
): Promise<Extent[]> {
  const out: Extent[] = [];
  for await (const extent of iterateExtents(client, options)) out.push(extent);
  return out;
}

/** `base:allocation` flags → what they mean for a reader. */
export function allocationState(flags: number): { hole: boolean; zero: boolean } {
  return { hole: (flags & STATE_HOLE) !== 0, zero: (flags & STATE_ZERO) !== 0 };
}

export function isDirty(flags: number): boolean {
  return (flags & STATE_DIRTY) !== 0;
}

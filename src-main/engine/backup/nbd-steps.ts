import { HyperkeepError } from '../../../shared/errors';
import type { NbdClient } from '../nbd/client';
import { BASE_ALLOCATION, isDirty, readExtents, STATE_ZERO, type Extent } from '../nbd/extents';
import type { CopyStep } from './disk-copy';

function push(steps: CopyStep[], kind: CopyStep['kind'], offset: number, length: number): void {
  if (length <= 0) return;
  const last = steps[steps.length - 1];
  if (last && last.kind === kind && last.offset + last.length === offset) last.length += length;
  else steps.push({ kind, offset, length });
}

function checkCoverage(extents: Extent[], size: number, context: string, where: string): void {
  let at = 0;
  for (const e of extents) {
    if (e.offset !== at) {
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `NBD server at ${where} described ${context} with a gap at offset ${at}`,
      );
    }
    at += e.length;
  }
  if (at !== size) {
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      `NBD server at ${where} described ${context} up to ${at} of ${size} bytes`,
    );
  }
}

/**
 * What to do with every byte of an NBD export. Full: read what base:allocation calls data, record
 * the rest as zeros. Incremental (`bitmapContext` given): read what is dirty and not zero, record
 * dirty zeros as holes, and reuse the parent point's chunks for everything clean.
 */
export async function planNbdSteps(
  client: NbdClient,
  bitmapContext: string | undefined,
  signal: AbortSignal,
): Promise<CopyStep[]> {
  const allocation = await readExtents(client, { context: BASE_ALLOCATION, signal });
  checkCoverage(allocation, client.size, BASE_ALLOCATION, client.where);
  const steps: CopyStep[] = [];
  if (bitmapContext === undefined) {
    for (const e of allocation) {
      push(steps, (e.flags & STATE_ZERO) !== 0 ? 'hole' : 'read', e.offset, e.length);
    }
    return steps;
  }
  const dirty = await readExtents(client, { context: bitmapContext, signal });
  checkCoverage(dirty, client.size, bitmapContext, client.where);
  // Both lists cover [0, size) in order: walk them together, cutting at every boundary.
  let i = 0;
  let j = 0;
  let at = 0;
  while (at < client.size) {
    const a = allocation[i]!;
    const d = dirty[j]!;
    const end = Math.min(a.offset + a.length, d.offset + d.length);
    const kind = !isDirty(d.flags) ? 'copy' : (a.flags & STATE_ZERO) !== 0 ? 'hole' : 'read';
    push(steps, kind, at, end - at);
    at = end;
    if (a.offset + a.length === end) i++;
    if (d.offset + d.length === end) j++;
  }
  return steps;
}

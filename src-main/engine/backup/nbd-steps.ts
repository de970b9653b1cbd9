import { HyperkeepError } from '../../../shared/errors';
import type { NbdClient } from '../nbd/client';
import { BASE_ALLOCATION, isDirty, readExtents, STATE_ZERO, type Extent } from '../nbd/extents';
import type { Extent as ImageExtent } from '../formats/disk-image';
import { allocationSteps, incrementalSteps } from './copy-steps';
import type { CopyStep } from './disk-copy';

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
  const map: ImageExtent[] = allocation.map((e) => ({
    offset: e.offset,
    length: e.length,
    kind: (e.flags & STATE_ZERO) !== 0 ? 'zero' : 'data',
  }));
  if (bitmapContext === undefined) return allocationSteps(map);
  const dirty = await readExtents(client, { context: bitmapContext, signal });
  checkCoverage(dirty, client.size, bitmapContext, client.where);
  return incrementalSteps(
    map,
    dirty.filter((d) => isDirty(d.flags)),
    client.size,
  );
}

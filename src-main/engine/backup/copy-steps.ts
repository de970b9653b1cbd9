import type { Extent } from '../formats/disk-image';
import type { CopyStep } from './disk-copy';

/**
 * What to do with every byte of a disk, from its allocation map and, for an incremental, the
 * ranges changed since the parent point: shared by the running-VM path (NBD's base:allocation
 * and dirty bitmap) and the powered-off path (the image's map and its qcow2 bitmap).
 */

/** Appends a step, merged into the previous one when it continues it with the same kind. */
function push(steps: CopyStep[], kind: CopyStep['kind'], offset: number, length: number): void {
  if (length <= 0) return;
  const last = steps[steps.length - 1];
  if (last && last.kind === kind && last.offset + last.length === offset) last.length += length;
  else steps.push({ kind, offset, length });
}

function endOf(steps: readonly CopyStep[]): number {
  const last = steps[steps.length - 1];
  return last ? last.offset + last.length : 0;
}

/** A full read: what is allocated is read, the rest recorded as zeros. */
export function allocationSteps(allocation: readonly Extent[]): CopyStep[] {
  const steps: CopyStep[] = [];
  for (const e of allocation) push(steps, e.kind === 'data' ? 'read' : 'hole', e.offset, e.length);
  return steps;
}

/**
 * An incremental from the allocation map and the changed ranges (both sorted): unchanged ranges
 * reuse the parent's chunks, changed data is read, changed ranges that read as zeros are holes.
 */
export function incrementalSteps(
  allocation: readonly Extent[],
  changed: readonly { offset: number; length: number }[],
  size: number,
): CopyStep[] {
  const steps: CopyStep[] = [];
  let a = 0;
  for (const range of changed) {
    const start = Math.max(0, range.offset);
    const end = Math.min(size, range.offset + range.length);
    if (end <= start) continue;
    const copiedFrom = endOf(steps);
    push(steps, 'copy', copiedFrom, start - copiedFrom);
    // The allocation extents under [start, end), each cut to it.
    while (a < allocation.length && allocation[a]!.offset + allocation[a]!.length <= start) a++;
    for (let i = a; i < allocation.length && allocation[i]!.offset < end; i++) {
      const e = allocation[i]!;
      const from = Math.max(start, e.offset);
      const to = Math.min(end, e.offset + e.length);
      push(steps, e.kind === 'data' ? 'read' : 'hole', from, to - from);
    }
  }
  const covered = endOf(steps);
  push(steps, 'copy', covered, size - covered);
  return steps;
}

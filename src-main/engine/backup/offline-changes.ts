import type { DiskImage, Extent } from '../formats/disk-image';
import { Qcow2Image } from '../formats/qcow2/qcow2-image';
import type { PointManifest } from '../repository/manifest';
import { checkpointOf } from './checkpoints';
import type { CopyStep } from './disk-copy';

/**
 * Incrementals of powered-off VMs from the image's own change tracking. While a VM runs, each
 * backup's libvirt checkpoint is a persistent dirty bitmap in its qcow2 images, and QEMU stores
 * it in the image when the VM stops: it then holds every write since the checkpoint. A backup
 * of the stopped VM reads that bitmap and only the ranges it marks, reusing the parent point's
 * chunks for the rest, instead of reading and hashing the whole disk.
 *
 * Exact because the parent point holds the disk as it was at the checkpoint or later, and every
 * write since the checkpoint is marked: the image format says when a bitmap cannot be trusted
 * (in use, disabled, stale), and then the disk is read whole and compared block by block.
 */

export interface OfflineDiskPlan {
  steps: CopyStep[];
  /** The checkpoint whose bitmap said what changed, or null when the disk is read whole. */
  bitmap: string | null;
  /** Why the disk is read whole although the parent point has a checkpoint. */
  reason?: string;
}

/** Read what is allocated, record the rest as zeros: a full read of the disk. */
export function allocationSteps(allocation: readonly Extent[]): CopyStep[] {
  return allocation.map((e) => ({
    kind: e.kind === 'data' ? 'read' : 'hole',
    offset: e.offset,
    length: e.length,
  }));
}

/**
 * What to do with each range of one disk of a powered-off VM that has a parent point: the
 * ranges written since the parent's checkpoint when its bitmap is in the image, all of it
 * otherwise (with the reason).
 */
export async function planOfflineDisk(
  parent: PointManifest,
  target: string,
  image: DiskImage,
  allocation: readonly Extent[],
): Promise<OfflineDiskPlan> {
  const whole = (reason?: string): OfflineDiskPlan => ({
    steps: allocationSteps(allocation),
    bitmap: null,
    ...(reason ? { reason } : {}),
  });
  // Never backed up while running: comparing blocks is the way, nothing fell back.
  const checkpoint = checkpointOf(parent);
  if (!checkpoint) return whole();
  const before = parent.disks.find((d) => d.name === target);
  if (!before) return whole(`disk ${target} is new since the previous restore point`);
  if (before.sizeBytes !== image.size)
    return whole(`disk ${target} was resized (${before.sizeBytes} → ${image.size} bytes)`);
  if (!checkpoint.disks.includes(target))
    return whole(`checkpoint ${checkpoint.name} does not track disk ${target}`);
  if (!(image instanceof Qcow2Image))
    return whole(`disk ${target} is a ${image.format} image, which holds no change bitmaps`);
  const changed = await image.changedSince(checkpoint.name);
  if ('unusable' in changed)
    return whole(`disk ${target}: the image's change bitmap cannot be used (${changed.unusable})`);
  return {
    steps: incrementalSteps(allocation, changed.ranges, image.size),
    bitmap: checkpoint.name,
  };
}

/**
 * Steps from the allocation map and the changed ranges (both sorted): unchanged ranges reuse
 * the parent's chunks, changed data is read, changed ranges that read as zeros are holes.
 */
export function incrementalSteps(
  allocation: readonly Extent[],
  changed: readonly { offset: number; length: number }[],
  size: number,
): CopyStep[] {
  const steps: CopyStep[] = [];
  const push = (kind: CopyStep['kind'], offset: number, length: number): void => {
    if (length <= 0) return;
    const last = steps[steps.length - 1];
    if (last && last.kind === kind && last.offset + last.length === offset) last.length += length;
    else steps.push({ kind, offset, length });
  };
  let a = 0;
  for (const range of changed) {
    const start = Math.max(0, range.offset);
    const end = Math.min(size, range.offset + range.length);
    if (end <= start) continue;
    const copiedFrom =
      steps.length === 0 ? 0 : steps[steps.length - 1]!.offset + steps[steps.length - 1]!.length;
    push('copy', copiedFrom, start - copiedFrom);
    // The allocation extents under [start, end), each cut to it.
    while (a < allocation.length && allocation[a]!.offset + allocation[a]!.length <= start) a++;
    for (let i = a; i < allocation.length && allocation[i]!.offset < end; i++) {
      const e = allocation[i]!;
      const from = Math.max(start, e.offset);
      const to = Math.min(end, e.offset + e.length);
      push(e.kind === 'data' ? 'read' : 'hole', from, to - from);
    }
  }
  const covered =
    steps.length === 0 ? 0 : steps[steps.length - 1]!.offset + steps[steps.length - 1]!.length;
  push('copy', covered, size - covered);
  return steps;
}

import type { DiskImage, Extent } from '../formats/disk-image';
import { Qcow2Image } from '../formats/qcow2/qcow2-image';
import type { PointManifest } from '../repository/manifest';
import { checkpointOf } from './checkpoints';
import { allocationSteps, incrementalSteps } from './copy-steps';
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

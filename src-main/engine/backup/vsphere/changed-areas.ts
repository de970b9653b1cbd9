/**
 * What to read of one disk for a backup. vSphere's changed block tracking (QueryChangedDiskAreas)
 * is not offered everywhere (the API simulator, VMs with CBT off, disks after a storage vMotion
 * reset), so the fallback is always there: read every allocated range and let the repository
 * compare each block's identifier with the blocks it holds (FIG. 16/17), storing only new ones.
 *
 * Where CBT is available, this is the one place it belongs: the areas QueryChangedDiskAreas
 * reports since the parent point's changeId become 'read' steps and everything else 'copy' steps
 * from the parent point; copyDisk and the point writer take those steps unchanged.
 */
import type { DiskImage } from '../../formats/disk-image';
import type { PointManifest } from '../../repository/manifest';
import type { CopyStep } from '../disk-copy';
import type { ChangeTracking } from '../types';

export interface DiskStepPlan {
  steps: CopyStep[];
  changeTracking: ChangeTracking;
}

export interface DiskStepInput {
  image: DiskImage;
  target: string;
  /** The point an incremental builds on; undefined for a full backup. */
  parent: PointManifest | undefined;
}

export async function planDiskSteps(input: DiskStepInput): Promise<DiskStepPlan> {
  const steps: CopyStep[] = (await input.image.allocationMap()).map((e) => ({
    kind: e.kind === 'data' ? 'read' : 'hole',
    offset: e.offset,
    length: e.length,
  }));
  return { steps, changeTracking: input.parent ? 'block-comparison' : 'none' };
}

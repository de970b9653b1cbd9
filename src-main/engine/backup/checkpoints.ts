/**
 * Changed block tracking with libvirt checkpoints. Every backup of a running VM creates one
 * (hk-<time>-<random>) together with its backup job and records it on the restore point; the
 * next backup reads only the blocks dirty since that checkpoint, after proving it is the same
 * checkpoint (name and creation time) and that QEMU still has its bitmap on every disk. When
 * anything does not line up the disk is read whole and compared block by block instead: a wrong
 * incremental would silently restore stale data, a fallback only costs reading time.
 */
import { randomBytes } from 'node:crypto';
import { HyperkeepError } from '../../../shared/errors';
import {
  CheckpointXmlFlags,
  DOMAIN_CHECKPOINT_DELETE,
  DOMAIN_CHECKPOINT_GET_XML_DESC,
  DOMAIN_CHECKPOINT_LOOKUP_BY_NAME,
  DOMAIN_LIST_ALL_CHECKPOINTS,
} from '../connectors/libvirt/backup-procedures';
import { invoke, type DomainRef, type RpcCaller } from '../connectors/libvirt/procedures';
import type { PointManifest } from '../repository/manifest';
import { parseCheckpointXml, type CheckpointInfo } from './backup-xml';
import type { BackupPointMeta } from './types';

/** Only checkpoints with this prefix are ours to delete; other tools' stay untouched. */
export const CHECKPOINT_PREFIX = 'hk-';

export function newCheckpointName(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${CHECKPOINT_PREFIX}${stamp}-${randomBytes(3).toString('hex')}`;
}

export interface DiskToPlan {
  target: string;
  capacityBytes: number;
}

export interface IncrementalPlan {
  /** Disk target → checkpoint to read changes since; absent disks are read whole. */
  from: Map<string, string>;
  /** Why some or all disks are compared block by block although a parent point exists. */
  reasons: string[];
}

export function checkpointOf(parent: PointManifest): BackupPointMeta['checkpoint'] {
  const cp = (parent.meta as Partial<BackupPointMeta>).checkpoint;
  if (!cp || typeof cp.name !== 'string' || typeof cp.creationTime !== 'string') return null;
  return {
    name: cp.name,
    creationTime: cp.creationTime,
    disks: Array.isArray(cp.disks) ? cp.disks : [],
  };
}

/** Reads a checkpoint's XML, asking QEMU for the bitmap sizes: that fails when a bitmap is gone. */
export async function describeCheckpoint(
  rpc: RpcCaller,
  dom: DomainRef,
  name: string,
  withSizes: boolean,
): Promise<CheckpointInfo> {
  const checkpoint = await invoke(rpc, DOMAIN_CHECKPOINT_LOOKUP_BY_NAME, { dom, name });
  const flags = CheckpointXmlFlags.NO_DOMAIN | (withSizes ? CheckpointXmlFlags.SIZE : 0);
  return parseCheckpointXml(
    await invoke(rpc, DOMAIN_CHECKPOINT_GET_XML_DESC, { checkpoint, flags }),
  );
}

/**
 * Decides, disk by disk, whether the parent point's checkpoint can serve this incremental.
 * Throws only for a parent that is not this VM's (the caller passed the wrong point).
 */
export async function planIncremental(
  rpc: RpcCaller,
  dom: DomainRef,
  vmUuid: string,
  parent: PointManifest,
  disks: DiskToPlan[],
): Promise<IncrementalPlan> {
  if (parent.vm.uuid.toLowerCase() !== vmUuid.toLowerCase()) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Restore point ${parent.id} belongs to VM ${parent.vm.name} (${parent.vm.uuid}), not to ${vmUuid}`,
    );
  }
  const plan: IncrementalPlan = { from: new Map(), reasons: [] };
  const everything = (reason: string): IncrementalPlan => ({ from: new Map(), reasons: [reason] });
  const recorded = checkpointOf(parent);
  if (!recorded) {
    return everything(
      `the previous restore point ${parent.id} has no checkpoint (it was taken while the VM was powered off, or without changed block tracking)`,
    );
  }
  let info: CheckpointInfo;
  try {
    info = await describeCheckpoint(rpc, dom, recorded.name, true);
  } catch (err) {
    if (err instanceof HyperkeepError && err.code === 'NOT_FOUND')
      return everything(await whyCheckpointIsGone(rpc, dom, recorded.name));
    if (err instanceof HyperkeepError && err.code === 'HYPERVISOR_ERROR') {
      return everything(`checkpoint ${recorded.name} cannot be used: ${err.message}`);
    }
    throw err;
  }
  if (info.creationTime !== recorded.creationTime) {
    return everything(
      `checkpoint ${recorded.name} was re-created after the previous restore point (created ${info.creationTime}, recorded ${recorded.creationTime})`,
    );
  }
  for (const disk of disks) {
    const before = parent.disks.find((d) => d.name === disk.target);
    const bitmap = info.bitmapDisks.find((d) => d.target === disk.target);
    if (!before) plan.reasons.push(`disk ${disk.target} is new since the previous restore point`);
    else if (before.sizeBytes !== disk.capacityBytes) {
      plan.reasons.push(
        `disk ${disk.target} was resized (${before.sizeBytes} → ${disk.capacityBytes} bytes)`,
      );
    } else if (!bitmap) {
      plan.reasons.push(`checkpoint ${recorded.name} does not track disk ${disk.target}`);
    } else plan.from.set(disk.target, recorded.name);
  }
  return plan;
}

/**
 * Why the previous point's checkpoint is missing. Each backup deletes the checkpoints before its
 * own, so another Hyperkeep checkpoint on the VM means a later backup ran whose restore point
 * is not the one this backup builds on: deleted or pruned since, or in another repository. Said
 * so, an administrator is not sent looking for someone who deleted checkpoints by hand.
 */
async function whyCheckpointIsGone(rpc: RpcCaller, dom: DomainRef, name: string): Promise<string> {
  const gone = `checkpoint ${name} of the previous restore point no longer exists on the VM`;
  let later: string | undefined;
  try {
    // Any other of ours is later: a successful backup deletes every checkpoint but its own. (Not
    // compared by name: two backups within one second have names that do not sort by time.)
    later = (await invoke(rpc, DOMAIN_LIST_ALL_CHECKPOINTS, { dom }))
      .map((c) => c.name)
      .filter((n) => n.startsWith(CHECKPOINT_PREFIX) && n !== name)
      .sort()
      .pop();
  } catch {
    // Only the explanation suffers: the block comparison runs either way.
  }
  return later
    ? `${gone}: a later backup replaced it with ${later}, and that backup's restore point is not in this repository any more (deleted or pruned since) or was written to another repository`
    : `${gone} (deleted outside Hyperkeep, or the VM was re-created)`;
}

export interface CheckpointCleanup {
  deleted: string[];
  failures: string[];
}

/** Deletes every Hyperkeep checkpoint but `keep`, so the chain stays one link long. */
export async function deleteCheckpointsExcept(
  rpc: RpcCaller,
  dom: DomainRef,
  keep: string | null,
): Promise<CheckpointCleanup> {
  const all = await invoke(rpc, DOMAIN_LIST_ALL_CHECKPOINTS, { dom });
  const result: CheckpointCleanup = { deleted: [], failures: [] };
  for (const checkpoint of all) {
    if (!checkpoint.name.startsWith(CHECKPOINT_PREFIX) || checkpoint.name === keep) continue;
    try {
      await invoke(rpc, DOMAIN_CHECKPOINT_DELETE, { checkpoint });
      result.deleted.push(checkpoint.name);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      result.failures.push(`checkpoint ${checkpoint.name}: ${message}`);
    }
  }
  return result;
}

/** Deletes one checkpoint if it exists (after a failed attempt); answers whether it did. */
export async function deleteCheckpoint(
  rpc: RpcCaller,
  dom: DomainRef,
  name: string,
): Promise<boolean> {
  try {
    const checkpoint = await invoke(rpc, DOMAIN_CHECKPOINT_LOOKUP_BY_NAME, { dom, name });
    await invoke(rpc, DOMAIN_CHECKPOINT_DELETE, { checkpoint });
    return true;
  } catch (err) {
    if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') return false;
    throw err;
  }
}

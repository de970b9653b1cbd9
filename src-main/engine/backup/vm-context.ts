import { HyperkeepError } from '../../../shared/errors';
import type { DomainRef } from '../connectors/libvirt/procedures';
import type { DiskWriter } from '../repository/disk-writer';
import type { PointManifest, PointVm } from '../repository/manifest';
import type { ProgressTracker } from './progress';
import type { BackedUpDisk, BackupPointMeta, BackupVmRequest, BackupVmResult } from './types';

export interface PlannedDisk {
  target: string;
  /** Image path as the domain XML names it. */
  source: string;
  /** Image format as the domain XML declares it (qcow2, raw, …). */
  format: string;
  capacityBytes: number;
  /** Size of the image file on the host. */
  physicalBytes: number;
}

/** Everything both backup paths (running, powered off) share about the VM being backed up. */
export interface VmBackupContext {
  request: BackupVmRequest;
  dom: DomainRef;
  pointVm: PointVm;
  hostname: string;
  /** Persistent configuration, stored with the point for restores. */
  domainXml: string;
  disks: PlannedDisk[];
  /** Hard disks of the VM that are not backed up (excluded): listed as such to libvirt. */
  otherDisks: string[];
  /** The parent point when the backup may be incremental (absent for full backups). */
  parent: PointManifest | undefined;
  progress: ProgressTracker;
  log(line: string): void;
  warn(line: string): void;
}

export type PathResult = Omit<BackupVmResult, 'warnings' | 'durationMs'>;

/** One disk read into a point; its new bytes are only final once the point is committed. */
export interface DiskOutcome {
  target: string;
  logicalBytes: number;
  readBytes: number;
  writer: DiskWriter;
}

export function backedUp(outcomes: DiskOutcome[]): BackedUpDisk[] {
  return outcomes.map((o) => ({
    target: o.target,
    logicalBytes: o.logicalBytes,
    readBytes: o.readBytes,
    newBytes: o.writer.newBytes,
  }));
}

export function pointMeta(
  ctx: VmBackupContext,
  fields: Pick<BackupPointMeta, 'powerState' | 'changeTracking' | 'checkpoint' | 'fallbackReason'>,
): BackupPointMeta {
  const meta: BackupPointMeta = {
    domainXml: ctx.domainXml,
    hypervisor: { endpoint: ctx.request.connector.endpoint, hostname: ctx.hostname },
    powerState: fields.powerState,
    changeTracking: fields.changeTracking,
    checkpoint: fields.checkpoint,
    disks: ctx.disks.map((d) => ({
      target: d.target,
      source: d.source,
      format: d.format,
      capacityBytes: d.capacityBytes,
    })),
  };
  if (fields.fallbackReason !== undefined) meta.fallbackReason = fields.fallbackReason;
  return meta;
}

/**
 * "Changed block tracking was not used: …" for the job log and the point, or undefined;
 * `newCheckpoint`: whether the backup made one (not while the VM is powered off).
 */
export function fallbackText(reasons: readonly string[], newCheckpoint = true): string | undefined {
  if (reasons.length === 0) return undefined;
  return `Changed block tracking could not be used (${reasons.join('; ')}): read whole and compared block by block with the repository, only changed blocks stored${newCheckpoint ? '; a new checkpoint was created' : ''}`;
}

/**
 * The point an incremental builds on, or undefined for a full backup: asked for, or the parent
 * no longer in the repository (then said as a warning, and the backup is full).
 */
export async function parentPoint(
  request: Pick<BackupVmRequest, 'parentPointId' | 'forceFull' | 'repository'>,
  warn: (line: string) => void,
): Promise<PointManifest | undefined> {
  if (request.parentPointId === undefined || request.forceFull) return undefined;
  try {
    return await request.repository.getPoint(request.parentPointId);
  } catch (err) {
    if (!(err instanceof HyperkeepError) || err.code !== 'NOT_FOUND') throw err;
    warn(
      `The previous restore point ${request.parentPointId} is not in the repository: taking a full backup`,
    );
    return undefined;
  }
}

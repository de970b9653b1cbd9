import { toErrorData } from '../../../shared/errors';
import type { Engine } from '../engine';
import type { JobContext, TaskHandle } from '../jobs/job-controller';
import type { PointManifest } from '../repository/manifest';
import type { Repository } from '../repository/repository';
import { detectGuest as detectGuestOs, guestVolumeFromInfo } from '../guest';
import {
  catalogPoint,
  type CatalogPointOptions,
  type FoundVolume,
  type GuestFacts,
} from './catalog-point';

/** engine/guest over the point's volumes: the OS, fstab mount points, Windows drive letters. */
export async function detectGuestFacts(volumes: FoundVolume[]): Promise<GuestFacts> {
  const detection = await detectGuestOs(volumes.map((v) => guestVolumeFromInfo(v.info, v.fs)));
  return {
    ...(detection.guestOs ? { guestOs: detection.guestOs } : {}),
    mountPoints: Object.fromEntries(detection.mountPoints),
    driveLetters: Object.fromEntries(detection.driveLetters),
  };
}

/**
 * "vda1: 12000 files indexed (about 40 %)": the share from the volume's own count of its files
 * and folders, which a big volume (a million files: tens of seconds) needs to look alive.
 */
export function catalogingMessage(p: {
  volume: string;
  files: number;
  entries: number;
  expected?: number;
}): string {
  const share =
    p.expected && p.expected > 0
      ? ` (about ${Math.min(99, Math.floor((100 * p.entries) / p.expected))} %)`
      : '';
  return `${p.volume}: ${p.files} files indexed${share}`;
}

/**
 * The "cataloging" phase of a backup, after the point committed: indexes its files with live
 * progress. It never fails the backup (the point is already safe): problems become job warnings.
 */
export async function catalogBackupPoint(
  engine: Engine,
  ctx: JobContext,
  task: TaskHandle,
  target: {
    repository: Repository;
    repositoryName: string;
    manifest: PointManifest;
    /** The point's disks as the backup still sees them (catalogPoint's diskReaders). */
    diskReaders?: CatalogPointOptions['diskReaders'];
  },
  detectGuest: CatalogPointOptions['detectGuest'] = detectGuestFacts,
): Promise<void> {
  const vmName = target.manifest.vm.name;
  task.progress({ phase: 'cataloging', message: 'indexing files' });
  const started = performance.now();
  const source = target.diskReaders
    ? "from the hypervisor's export of the disks"
    : 'from the repository';
  try {
    const result = await catalogPoint({
      catalog: engine.fileCatalog,
      repository: target.repository,
      repositoryName: target.repositoryName,
      manifest: target.manifest,
      ...(target.diskReaders ? { diskReaders: target.diskReaders } : {}),
      signal: ctx.signal,
      onProgress: (p) => task.progress({ phase: 'cataloging', message: catalogingMessage(p) }),
      detectGuest,
    });
    for (const warning of result.warnings) ctx.warn(`${vmName}: ${warning}`);
    for (const note of result.notes) ctx.log(`${vmName}: ${note}`);
    ctx.log(
      `${vmName}: cataloged ${result.files} files in ${result.volumes.filter((v) => v.indexed).length} of ${result.volumes.length} volumes ${source} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  } catch (err) {
    ctx.warn(
      `${vmName}: the files of point ${target.manifest.id} could not be cataloged (the backup itself is complete): ${toErrorData(err).message}`,
    );
  }
}

import type { LibvirtConnector } from '../connectors/libvirt/libvirt-connector';
import type { RandomAccessReader } from '../io/random-access';
import type { PointManifest } from '../repository/manifest';
import type { Repository } from '../repository/repository';

export type BackupPhase =
  'pre-script' | 'quiesce' | 'checkpoint' | 'read' | 'commit' | 'cleanup' | 'post-script';

export interface BackupProgress {
  phase: BackupPhase;
  disk?: string;
  /** Bytes read from the hypervisor so far (read phase), of bytesTotal to read. */
  bytesDone: number;
  bytesTotal: number;
}

export interface BackupSettings {
  /** Keep the new checkpoint (and do not merge it away) when the attempt fails. */
  keepSnapshotsOnFailure: boolean;
  /** Disks of the VM read at once. */
  dataReaders: number;
  /** Most the VM's disks are read at together, in MiB/s; 0 for no limit. */
  readLimitMiBps?: number;
  /** Disk targets (vdb) or glob patterns on the target or source path (sd*, *.iso). */
  excludeDisks: string[];
  /** Shell commands run on this machine before and after the backup; '' for none. */
  preCommand: string;
  postCommand: string;
  /** Longest a pre or post command may run. */
  timeoutSeconds: number;
  /** Run the post command after a failed backup too (default true). */
  postOnFailure?: boolean;
}

/** `C`: the connector of the VM's hypervisor (libvirt by default; vSphere in backup/vsphere/). */
export interface BackupVmRequest<C = LibvirtConnector> {
  connector: C;
  vmUuid: string;
  repository: Repository;
  /** The latest point of this VM in `repository`: what an incremental builds on. */
  parentPointId?: string;
  /** Read everything even when an incremental is possible. */
  forceFull: boolean;
  settings: BackupSettings;
  signal: AbortSignal;
  onProgress(progress: BackupProgress): void;
  log(line: string): void;
  /**
   * Runs once the point has committed, while the hypervisor still exports the disks as they
   * were backed up (running VMs: the pull-mode job stays open until it returns). `disks` reads
   * each backed-up disk by target, so the cataloging phase reads file-system metadata from the
   * source instead of decrypting and decompressing it back out of the repository. Not called
   * where no export can be re-read (powered-off VMs stream their volumes once): the caller
   * notices and reads the point from the repository. It must not throw; the readers close after.
   */
  whileExported?(
    point: PointManifest,
    disks: ReadonlyMap<string, RandomAccessReader>,
  ): Promise<void>;
}

export type Consistency = 'application-consistent' | 'crash-consistent';

/**
 * How the changes since the parent were found: libvirt checkpoints (dirty bitmaps), comparing
 * the identifiers of every block read against the repository (FIG. 16/17), or no parent at all.
 */
export type ChangeTracking = 'checkpoint' | 'block-comparison' | 'none';

export interface BackedUpDisk {
  target: string;
  /** The disk's size as the guest sees it. */
  logicalBytes: number;
  /** Bytes read from the hypervisor. */
  readBytes: number;
  /** Bytes of chunks the repository did not have before (before compression). */
  newBytes: number;
}

export interface BackupVmResult {
  pointId: string;
  /** full: no parent point; incremental: only what changed since the parent was stored. */
  type: 'full' | 'incremental';
  changeTracking: ChangeTracking;
  consistency: Consistency;
  /** Why an incremental could not use checkpoints and compared blocks instead. */
  fallbackReason?: string;
  disks: BackedUpDisk[];
  /** Things that went wrong without failing the backup (post command, checkpoint cleanup). */
  warnings: string[];
  durationMs: number;
}

/** What a backup records with its restore point (PointManifest.meta). */
export interface BackupPointMeta {
  /** The VM's persistent configuration at backup time. */
  domainXml: string;
  hypervisor: { endpoint: string; hostname: string };
  powerState: 'running' | 'shutoff';
  changeTracking: ChangeTracking;
  /**
   * The checkpoint the next incremental starts from: the one created with this point, or for a
   * powered-off VM (no checkpoint can be made) the parent's, whose bitmap the image keeps.
   */
  checkpoint: { name: string; creationTime: string; disks: string[] } | null;
  fallbackReason?: string;
  disks: { target: string; source: string; format: string; capacityBytes: number }[];
}

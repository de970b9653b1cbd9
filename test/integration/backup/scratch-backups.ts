/**
 * The set-up the backup tests share: a scratch VM of their own on lab-host-1, a fresh repository
 * to back it up into, and a connection to the host, made before a test file's tests and removed
 * after them. The backup call those tests repeat, with the subclient settings tests use.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import {
  backupVm,
  type BackupProgress,
  type BackupSettings,
  type BackupVmResult,
} from '../../../src-main/engine/backup/backup-vm';
import type { BackupPointMeta } from '../../../src-main/engine/backup/types';
import {
  createLibvirtConnector,
  type LibvirtConnector,
} from '../../../src-main/engine/connectors/libvirt/libvirt-connector';
import type { Repository } from '../../../src-main/engine/repository/repository';
import { virsh } from '../../harness/exec';
import { initRepo, makeTempDir } from '../repository/helpers';
import {
  createScratchVm,
  expectPointMatchesVm,
  type ScratchVm,
  TEST_BACKUP_SETTINGS,
} from './backup-helpers';

export interface ScratchBackupOptions {
  /** The VM to back up: the scratch VM unless another's uuid is given. */
  uuid?: string;
  /** The point the backup follows; without one it is the VM's first. */
  parent?: string;
  /** Changes to TEST_BACKUP_SETTINGS for this backup. */
  settings?: Partial<BackupSettings>;
  signal?: AbortSignal;
  onProgress?: (progress: BackupProgress) => void;
  /** Another connection to the host than `connector`, e.g. over TCP. */
  via?: LibvirtConnector;
}

/** Filled in by the file's beforeAll: read the fields inside tests, not at module level. */
export class ScratchVmBackups {
  /** A temporary directory for restored disks and other files a test makes. */
  scratch!: string;
  repoDir!: string;
  repository!: Repository;
  connector!: LibvirtConnector;
  vm!: ScratchVm;
  vmUuid!: string;
  /** What every backup logged, in order. Replace it with [] to see only what comes next. */
  logs: string[] = [];

  constructor(readonly hostUri: string) {}

  backup(options: ScratchBackupOptions = {}): Promise<BackupVmResult> {
    return backupVm({
      connector: options.via ?? this.connector,
      vmUuid: options.uuid ?? this.vmUuid,
      repository: this.repository,
      ...(options.parent ? { parentPointId: options.parent } : {}),
      forceFull: false,
      settings: { ...TEST_BACKUP_SETTINGS, ...options.settings },
      signal: options.signal ?? new AbortController().signal,
      onProgress: options.onProgress ?? (() => undefined),
      log: (line) => this.logs.push(line),
    });
  }

  async metaOf(pointId: string): Promise<BackupPointMeta> {
    return (await this.repository.getPoint(pointId)).meta as unknown as BackupPointMeta;
  }

  /**
   * Restores the point's disk and compares it with the scratch VM's. `pause` suspends the VM
   * meanwhile so the guest cannot write to it; only a running VM can be paused.
   */
  async expectPointMatchesScratchVm(
    pointId: string,
    options: { pause?: boolean } = {},
  ): Promise<void> {
    await expectPointMatchesVm(
      this.repository,
      pointId,
      [{ target: 'vda', path: this.vm.disk }],
      this.scratch,
      options.pause ? { uri: this.hostUri, vm: this.vm.name } : undefined,
    );
  }
}

/**
 * Registers the beforeAll that makes the scratch VM (named `${prefix}-<pid>`), repository and
 * connection, and the afterAll that removes them again. Call it at a test file's top level.
 */
export function useScratchVmBackups(prefix: string): ScratchVmBackups {
  const lab = inject('lab');
  const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
  const fixture = new ScratchVmBackups(host.uri);

  beforeAll(async () => {
    fixture.scratch = await mkdtemp(join(tmpdir(), `${prefix}-`));
    fixture.repoDir = await makeTempDir(`${prefix}-repo`);
    fixture.repository = await initRepo(fixture.repoDir);
    fixture.connector = createLibvirtConnector({ type: 'libvirt', uri: host.uri });
    // Its disk is owned like lab-web-01's, by the account the lab's QEMU runs as.
    const ownerOf = lab.vms.find((v) => v.name === 'lab-web-01')!.disks[0]!.path;
    fixture.vm = await createScratchVm(
      host.uri,
      `${prefix}-${process.pid}`,
      ownerOf,
      lab.accel ?? 'tcg',
    );
    fixture.vmUuid = (await virsh(host.uri, 'domuuid', fixture.vm.name)).trim();
  });

  // A beforeAll that failed part-way leaves some of these unset.
  afterAll(async () => {
    await fixture.vm?.destroy();
    await fixture.repository?.close();
    await fixture.connector?.close();
    if (fixture.scratch) await rm(fixture.scratch, { recursive: true, force: true });
    if (fixture.repoDir) await rm(fixture.repoDir, { recursive: true, force: true });
  });

  return fixture;
}

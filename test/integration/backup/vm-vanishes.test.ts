/**
 * The hypervisor side vanishing in the middle of a backup: the VM is destroyed (QEMU, and with it
 * the NBD export, gone) while the job reads its disk. The job must fail at once with a message a
 * person can act on, leave no restore point and a repository that verifies, and the next backup,
 * once the VM runs again, must succeed and restore to the disk as it is.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { backupVm, type BackupVmResult } from '../../../src-main/engine/backup/backup-vm';
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

const lab = inject('lab');
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;

let scratch: string;
let repoDir: string;
let repository: Repository;
let connector: LibvirtConnector;
let vm: ScratchVm;
let vmUuid: string;
const logs: string[] = [];

function backup(onRead?: () => void): Promise<BackupVmResult> {
  return backupVm({
    connector,
    vmUuid,
    repository,
    forceFull: false,
    settings: TEST_BACKUP_SETTINGS,
    signal: new AbortController().signal,
    onProgress: (p) => {
      if (p.phase === 'read') onRead?.();
    },
    log: (line) => logs.push(line),
  });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hk-vanish-it-'));
  repoDir = await makeTempDir('vanish-repo');
  repository = await initRepo(repoDir);
  connector = createLibvirtConnector({ type: 'libvirt', uri: host1.uri });
  vm = await createScratchVm(
    host1.uri,
    `hk-vanish-it-${process.pid}`,
    lab.vms.find((v) => v.name === 'lab-web-01')!.disks[0]!.path,
    lab.accel ?? 'tcg',
  );
  vmUuid = (await virsh(host1.uri, 'domuuid', vm.name)).trim();
});

afterAll(async () => {
  await vm?.destroy();
  await repository?.close();
  await connector?.close();
  await rm(scratch, { recursive: true, force: true });
  await rm(repoDir, { recursive: true, force: true });
});

describe('a VM that vanishes while it is backed up', () => {
  it('fails the backup with a clear message, leaves no point, and the repository verifies', async () => {
    let destroyed = false;
    const started = Date.now();
    const outcome = await backup(() => {
      if (destroyed) return;
      destroyed = true;
      // Synchronously, inside the job's own progress report: the export is open and nothing
      // more is read until QEMU is gone, so the loss always lands in the middle of the read.
      const r = spawnSync('virsh', ['-c', host1.uri, 'destroy', vm.name], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }).then(
      () => null,
      (err: unknown) => err as Error,
    );
    expect(destroyed).toBe(true);
    expect(outcome, 'the backup of a VM destroyed mid-read succeeded').toBeInstanceOf(Error);
    // What happened to the VM and what to do, not the NBD read that noticed it first.
    expect(outcome!.message).toMatch(
      new RegExp(`^VM ${vm.name} was shut down or powered off during the backup`),
    );
    expect(outcome!.message).toMatch(/No restore point was made\. Back it up again once it runs/);
    expect(outcome!.message).not.toMatch(/\n\s+at /);
    // No advice to end a backup job that ended with the VM, nor a warning about its checkpoint.
    expect(logs.join('\n')).not.toMatch(/domjobabort|Could not tidy/);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(await repository.listPoints()).toEqual([]);
    const report = await repository.verify({ readData: true });
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('refuses the point of a powered-off VM started while its volumes were read', async () => {
    await virsh(host1.uri, 'destroy', vm.name).catch(() => undefined);
    const before = await repository.listPoints();
    let started = false;
    const outcome = await backup(() => {
      if (started) return;
      started = true;
      // The volumes stream through libvirt, which takes no lock: QEMU may open them meanwhile.
      const r = spawnSync('virsh', ['-c', host1.uri, 'start', vm.name], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }).then(
      () => null,
      (err: unknown) => err as Error,
    );
    expect(started).toBe(true);
    expect(
      outcome,
      'a point mixing blocks from before and after the start was kept',
    ).toBeInstanceOf(Error);
    expect(outcome!.message).toMatch(
      new RegExp(
        `^VM ${vm.name} was started while its volumes were read.*No restore point was made`,
      ),
    );
    expect(await repository.listPoints()).toEqual(before);
    expect((await repository.verify()).ok).toBe(true);
  });

  it('backs the VM up again once it runs, and that point restores to its disk', async () => {
    // Running since the previous test started it.
    expect((await virsh(host1.uri, 'domstate', vm.name)).trim()).toBe('running');
    const result = await backup();
    expect(result.type).toBe('full');
    await expectPointMatchesVm(
      repository,
      result.pointId,
      [{ target: 'vda', path: vm.disk }],
      scratch,
      { uri: host1.uri, vm: vm.name },
    );
    expect((await repository.verify()).ok).toBe(true);
  });
});

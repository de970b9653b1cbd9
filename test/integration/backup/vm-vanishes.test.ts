/**
 * The hypervisor side vanishing in the middle of a backup: the VM is destroyed (QEMU, and with it
 * the NBD export, gone) while the job reads its disk. The job must fail at once with a message a
 * person can act on, leave no restore point and a repository that verifies, and the next backup,
 * once the VM runs again, must succeed and restore to the disk as it is.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import type { BackupVmResult } from '../../../src-main/engine/backup/backup-vm';
import { virsh } from '../../harness/exec';
import { useScratchVmBackups } from './scratch-backups';

const lab = inject('lab');
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;

const fixture = useScratchVmBackups('hk-vanish-it');

/** A backup of the scratch VM that calls `onRead` at each progress report while it reads. */
function backup(onRead?: () => void): Promise<BackupVmResult> {
  return fixture.backup({
    onProgress: (p) => {
      if (p.phase === 'read') onRead?.();
    },
  });
}

describe('a VM that vanishes while it is backed up', () => {
  it('fails the backup with a clear message, leaves no point, and the repository verifies', async () => {
    let destroyed = false;
    const started = Date.now();
    const outcome = await backup(() => {
      if (destroyed) return;
      destroyed = true;
      // Synchronously, inside the job's own progress report: the export is open and nothing
      // more is read until QEMU is gone, so the loss always lands in the middle of the read.
      const r = spawnSync('virsh', ['-c', host1.uri, 'destroy', fixture.vm.name], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
    }).then(
      () => null,
      (err: unknown) => err as Error,
    );
    expect(destroyed).toBe(true);
    expect(outcome, 'the backup of a VM destroyed mid-read succeeded').toBeInstanceOf(Error);
    // What happened to the VM and what to do, not the NBD read that noticed it first.
    expect(outcome!.message).toMatch(
      new RegExp(`^VM ${fixture.vm.name} was shut down or powered off during the backup`),
    );
    expect(outcome!.message).toMatch(/No restore point was made\. Back it up again once it runs/);
    expect(outcome!.message).not.toMatch(/\n\s+at /);
    // No advice to end a backup job that ended with the VM, nor a warning about its checkpoint.
    expect(fixture.logs.join('\n')).not.toMatch(/domjobabort|Could not tidy/);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(await fixture.repository.listPoints()).toEqual([]);
    const report = await fixture.repository.verify({ readData: true });
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('refuses the point of a powered-off VM started while its volumes were read', async () => {
    await virsh(host1.uri, 'destroy', fixture.vm.name).catch(() => undefined);
    const before = await fixture.repository.listPoints();
    let started = false;
    const outcome = await backup(() => {
      if (started) return;
      started = true;
      // The volumes stream through libvirt, which takes no lock: QEMU may open them meanwhile.
      const r = spawnSync('virsh', ['-c', host1.uri, 'start', fixture.vm.name], {
        encoding: 'utf8',
      });
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
        `^VM ${fixture.vm.name} was started while its volumes were read.*No restore point was made`,
      ),
    );
    expect(await fixture.repository.listPoints()).toEqual(before);
    expect((await fixture.repository.verify()).ok).toBe(true);
  });

  it('backs the VM up again once it runs, and that point restores to its disk', async () => {
    // Running since the previous test started it.
    expect((await virsh(host1.uri, 'domstate', fixture.vm.name)).trim()).toBe('running');
    const result = await backup();
    expect(result.type).toBe('full');
    await fixture.expectPointMatchesScratchVm(result.pointId, { pause: true });
    expect((await fixture.repository.verify()).ok).toBe(true);
  });
});

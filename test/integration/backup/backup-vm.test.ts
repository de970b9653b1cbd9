/**
 * backupVm against the lab's real libvirtd and QEMU: full and incremental backups of running VMs
 * over libvirt's pull-mode backup API and NBD, the fallback when the checkpoint chain is broken,
 * cancellation, and a powered-off VM streamed through libvirt's volume download. Every point is
 * restored from the repository and compared byte for byte with the VM's disk.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { HyperkeepError } from '../../../shared/errors';
import type { BackupSettings, BackupVmResult } from '../../../src-main/engine/backup/backup-vm';
import { createLibvirtConnector } from '../../../src-main/engine/connectors/libvirt/libvirt-connector';
import { virsh } from '../../harness/exec';
import type { LabVm } from '../../harness/lab-info';
import {
  checkpointNames,
  deleteOurCheckpoints,
  expectPointMatchesVm,
  qemuIo,
} from './backup-helpers';
import { useScratchVmBackups } from './scratch-backups';

const lab = inject('lab');
const MiB = 1024 * 1024;
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;
const labVm = (name: string): LabVm => lab.vms.find((v) => v.name === name)!;

const fixture = useScratchVmBackups('hk-backup-it');

// The lab VMs backed up here lose the checkpoints these backups left: other tests expect
// them as the lab made them.
afterAll(async () => {
  for (const name of ['lab-web-01', 'lab-db-01']) {
    await deleteOurCheckpoints(host1.uri, name).catch(() => undefined);
  }
});

describe('backing up a running VM', () => {
  it('takes a full, crash-consistent backup of lab-web-01 that restores to its disk', async () => {
    const web = labVm('lab-web-01');
    const phases: string[] = [];
    const result = await fixture.backup({
      uuid: web.uuid,
      onProgress: (p) => {
        if (phases[phases.length - 1] !== p.phase) phases.push(p.phase);
      },
    });
    expect(result).toMatchObject({
      type: 'full',
      changeTracking: 'none',
      consistency: 'crash-consistent',
    });
    expect(phases).toEqual(['quiesce', 'checkpoint', 'read', 'commit', 'cleanup']);
    const [disk] = result.disks;
    expect(disk).toMatchObject({ target: 'vda', logicalBytes: web.disks[0]!.capacityBytes });
    // Only allocated data is read: a fraction of the 128 MiB disk.
    expect(disk!.readBytes).toBeGreaterThan(0);
    expect(disk!.readBytes).toBeLessThan(disk!.logicalBytes / 4);
    const meta = await fixture.metaOf(result.pointId);
    expect(meta.domainXml).toContain('<name>lab-web-01</name>');
    expect(meta.powerState).toBe('running');
    expect(await checkpointNames(host1.uri, 'lab-web-01')).toEqual([meta.checkpoint!.name]);
    expect(fixture.logs.join('\n')).toMatch(/guest agent is not configured.*crash-consistent/);
    await expectPointMatchesVm(fixture.repository, result.pointId, web.disks, fixture.scratch, {
      uri: host1.uri,
      vm: 'lab-web-01',
    });
  });

  let full: BackupVmResult;
  let incremental: BackupVmResult;

  it('reads only the blocks written since the last backup', async () => {
    full = await fixture.backup();
    expect(full.type).toBe('full');
    expect(full.disks[0]!.readBytes).toBe(24 * MiB);
    await fixture.expectPointMatchesScratchVm(full.pointId);

    await qemuIo(host1.uri, fixture.vm.name, 'virtio-disk0', 'write -P 0xab 16M 2M');
    await qemuIo(host1.uri, fixture.vm.name, 'virtio-disk0', 'write -P 0xcd 300M 1M');
    await qemuIo(host1.uri, fixture.vm.name, 'virtio-disk0', 'write -z 132M 1M');
    incremental = await fixture.backup({ parent: full.pointId });
    expect(incremental).toMatchObject({ type: 'incremental', changeTracking: 'checkpoint' });
    expect(incremental.fallbackReason).toBeUndefined();
    // 3 MiB of new data is read; the zeroed MiB is dirty but reads as zeros, so it is not.
    expect(incremental.disks[0]!.readBytes).toBe(3 * MiB);
    expect(incremental.disks[0]!.newBytes).toBeLessThanOrEqual(3 * MiB);
    const point = await fixture.repository.getPoint(incremental.pointId);
    expect(point.parent).toBe(full.pointId);
    // Synthetic full: the point alone restores the whole disk.
    await fixture.expectPointMatchesScratchVm(incremental.pointId);
    // The chain stays one checkpoint long.
    const meta = await fixture.metaOf(incremental.pointId);
    expect(await checkpointNames(host1.uri, fixture.vm.name)).toEqual([meta.checkpoint!.name]);
    expect(incremental.disks[0]!.readBytes).toBeLessThan(full.disks[0]!.readBytes / 4);
  });

  it('falls back to comparing blocks when the checkpoint was deleted behind its back', async () => {
    const { checkpoint } = await fixture.metaOf(incremental.pointId);
    await virsh(host1.uri, 'checkpoint-delete', fixture.vm.name, checkpoint!.name);
    await qemuIo(host1.uri, fixture.vm.name, 'virtio-disk0', 'write -P 0x5a 130M 1M');
    const fallback = await fixture.backup({ parent: incremental.pointId });
    expect(fallback).toMatchObject({ type: 'incremental', changeTracking: 'block-comparison' });
    expect(fallback.fallbackReason).toMatch(/checkpoint .* no longer exists/);
    // Everything allocated is read again, but only what changed is stored.
    expect(fallback.disks[0]!.readBytes).toBeGreaterThanOrEqual(24 * MiB);
    expect(fallback.disks[0]!.newBytes).toBeGreaterThanOrEqual(1 * MiB);
    // The chunks around the changed MiB are stored again. How many depends on where the
    // repository's keyed chunker cuts (its gear table is derived from the repository's random
    // key): up to 4 MiB each, and CI once stored 10.3 MiB. A fallback that stored what it read
    // would be at 24 MiB or more.
    expect(fallback.disks[0]!.newBytes).toBeLessThan(fallback.disks[0]!.readBytes / 2);
    await fixture.expectPointMatchesScratchVm(fallback.pointId);

    // The new checkpoint carries the next backup: incremental through bitmaps again.
    await qemuIo(host1.uri, fixture.vm.name, 'virtio-disk0', 'write -P 0x77 8M 1M');
    const next = await fixture.backup({ parent: fallback.pointId });
    expect(next).toMatchObject({ type: 'incremental', changeTracking: 'checkpoint' });
    expect(next.disks[0]!.readBytes).toBe(1 * MiB);
    await fixture.expectPointMatchesScratchVm(next.pointId);
    incremental = next;
  });

  it('after the newest point was deleted, compares blocks and says a later backup replaced the checkpoint', async () => {
    const later = await fixture.backup({ parent: incremental.pointId });
    await fixture.repository.deletePoints([later.pointId]);
    await qemuIo(host1.uri, fixture.vm.name, 'virtio-disk0', 'write -P 0x6b 140M 1M');
    // The newest point left is `incremental`: its checkpoint went when `later` was taken.
    const next = await fixture.backup({ parent: incremental.pointId });
    expect(next).toMatchObject({ type: 'incremental', changeTracking: 'block-comparison' });
    await expect(fixture.repository.getPoint(later.pointId)).rejects.toThrow();
    expect(next.fallbackReason).toMatch(
      /no longer exists on the VM: a later backup replaced it with hk-\S+, and that backup's restore point is not in this repository any more/,
    );
    await fixture.expectPointMatchesScratchVm(next.pointId);
    incremental = next;
  });

  /** Starts an incremental and cancels it as soon as it starts reading. */
  async function cancelledAttempt(settings: Partial<BackupSettings> = {}): Promise<void> {
    const controller = new AbortController();
    const attempt = fixture.backup({
      parent: incremental.pointId,
      settings,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'read') controller.abort();
      },
    });
    await expect(attempt).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await virsh(host1.uri, 'domjobinfo', fixture.vm.name)).toMatch(/Job type:\s+None/);
  }

  it('leaves no point, job or checkpoint behind when cancelled, and the next backup is still right', async () => {
    const before = (await fixture.repository.listPoints()).length;
    const checkpointsBefore = await checkpointNames(host1.uri, fixture.vm.name);
    await qemuIo(host1.uri, fixture.vm.name, 'virtio-disk0', 'write -P 0x31 200M 2M');
    await cancelledAttempt();
    expect((await fixture.repository.listPoints()).length).toBe(before);
    expect(await checkpointNames(host1.uri, fixture.vm.name)).toEqual(checkpointsBefore);
    expect((await fixture.repository.verify()).ok).toBe(true);

    // "Keep snapshots between failed attempts": the attempt's checkpoint stays this time.
    await qemuIo(host1.uri, fixture.vm.name, 'virtio-disk0', 'write -P 0x32 210M 1M');
    await cancelledAttempt({ keepSnapshotsOnFailure: true });
    expect(await checkpointNames(host1.uri, fixture.vm.name)).toHaveLength(
      checkpointsBefore.length + 1,
    );

    // Both attempts' changes are still tracked from the parent's checkpoint; the kept one goes.
    const after = await fixture.backup({ parent: incremental.pointId });
    expect(after.changeTracking).toBe('checkpoint');
    expect(after.disks[0]!.readBytes).toBe(3 * MiB);
    const { checkpoint } = await fixture.metaOf(after.pointId);
    expect(await checkpointNames(host1.uri, fixture.vm.name)).toEqual([checkpoint!.name]);
    await fixture.expectPointMatchesScratchVm(after.pointId);
  });

  it('runs the pre and post commands around the backup, and fails without a point when pre fails', async () => {
    const marks = join(fixture.scratch, 'hooks.txt');
    const result = await fixture.backup({
      settings: {
        preCommand: `echo "pre $HK_VM_NAME" >> ${marks}`,
        postCommand: `echo "post $HK_STATUS $HK_POINT_ID" >> ${marks}`,
      },
    });
    expect(await readFile(marks, 'utf8')).toBe(
      `pre ${fixture.vm.name}\npost succeeded ${result.pointId}\n`,
    );
    const before = (await fixture.repository.listPoints()).length;
    const failed = fixture.backup({ settings: { preCommand: 'echo database busy >&2; exit 3' } });
    await expect(failed).rejects.toThrow(/pre-backup command exited with code 3: database busy/);
    expect((await fixture.repository.listPoints()).length).toBe(before);
  });

  it('backs up both disks of lab-db-01 over NBD on TCP, and leaves out excluded disks', async () => {
    const db = labVm('lab-db-01');
    const tcp = host1.tcpUri
      ? createLibvirtConnector({ type: 'libvirt', uri: host1.tcpUri })
      : fixture.connector;
    try {
      const started = Date.now();
      const result = await fixture.backup({ uuid: db.uuid, via: tcp });
      const seconds = (Date.now() - started) / 1000;
      const read = result.disks.reduce((n, d) => n + d.readBytes, 0);
      console.log(
        `lab-db-01 full backup: ${(read / MiB).toFixed(1)} MiB read in ${seconds.toFixed(2)} s ` +
          `(${(read / MiB / seconds).toFixed(1)} MiB/s, ${((db.disks[0]!.capacityBytes + db.disks[1]!.capacityBytes) / MiB / seconds).toFixed(0)} MiB/s of disk)`,
      );
      expect(result.disks.map((d) => d.target)).toEqual(['vda', 'vdb']);
      await expectPointMatchesVm(fixture.repository, result.pointId, db.disks, fixture.scratch, {
        uri: host1.uri,
        vm: 'lab-db-01',
      });
      const onlyVda = await fixture.backup({
        uuid: db.uuid,
        parent: result.pointId,
        settings: { excludeDisks: ['vd[b]', 'vdb'] },
      });
      expect(onlyVda.disks.map((d) => d.target)).toEqual(['vda']);
      expect(onlyVda.changeTracking).toBe('checkpoint');
      expect((await fixture.repository.getPoint(onlyVda.pointId)).disks.map((d) => d.name)).toEqual(
        ['vda'],
      );
    } finally {
      if (tcp !== fixture.connector) await tcp.close();
    }
  });
});

describe('backing up a powered-off VM', () => {
  it('streams lab-archive-01 through libvirt without starting it', async () => {
    const archive = labVm('lab-archive-01');
    const result = await fixture.backup({ uuid: archive.uuid });
    expect(result).toMatchObject({ type: 'full', changeTracking: 'none' });
    expect((await virsh(host1.uri, 'domstate', 'lab-archive-01')).trim()).toBe('shut off');
    const meta = await fixture.metaOf(result.pointId);
    expect(meta).toMatchObject({ powerState: 'shutoff', checkpoint: null });
    expect(meta.domainXml).toContain('<name>lab-archive-01</name>');
    await expectPointMatchesVm(fixture.repository, result.pointId, archive.disks, fixture.scratch);
    // The temporary storage pool that made the image readable through libvirt is gone again.
    expect(await virsh(host1.uri, 'pool-list', '--all', '--name')).not.toMatch(/hyperkeep-/);

    const again = await fixture.backup({ uuid: archive.uuid, parent: result.pointId });
    expect(again).toMatchObject({ type: 'incremental', changeTracking: 'block-comparison' });
    expect(again.disks[0]!.newBytes).toBe(0);
  });

  it('names the VM when it does not exist', async () => {
    const missing = fixture.backup({ uuid: '00000000-0000-4000-8000-000000000000' });
    await expect(missing).rejects.toBeInstanceOf(HyperkeepError);
    await expect(missing).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

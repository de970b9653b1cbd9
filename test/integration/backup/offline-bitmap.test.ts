/**
 * Incrementals of a VM that was backed up while running, then shut off: QEMU stores the
 * checkpoint's dirty bitmap in the qcow2 image as it stops, and the backup of the stopped VM
 * reads only what that bitmap marks. Real libvirtd and QEMU; every point is restored and
 * compared byte for byte with the VM's disk.
 */
import { describe, expect, inject, it } from 'vitest';
import type { BackupVmResult } from '../../../src-main/engine/backup/backup-vm';
import { run, virsh } from '../../harness/exec';
import { qemuIo } from './backup-helpers';
import { useScratchVmBackups } from './scratch-backups';

const lab = inject('lab');
const MiB = 1024 * 1024;
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;

const fixture = useScratchVmBackups('hk-offline-bitmap');

/** A backup of the scratch VM, with `fixture.logs` holding only what this backup logged. */
function backup(parent?: string): Promise<BackupVmResult> {
  fixture.logs = [];
  return fixture.backup({ parent });
}

async function waitShutOff(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await virsh(host1.uri, 'domstate', fixture.vm.name)).trim() === 'shut off') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${fixture.vm.name} did not stop`);
}

describe('a VM shut off after a backup while it ran', () => {
  let full: string;
  let offline: string;

  it('is backed up by reading only what the guest wrote since the checkpoint', async () => {
    const first = await backup();
    full = first.pointId;
    const checkpoint = (await fixture.metaOf(full)).checkpoint!.name;
    await qemuIo(host1.uri, fixture.vm.name, 'virtio-disk0', 'write -P 0xab 300M 1M');
    await qemuIo(host1.uri, fixture.vm.name, 'virtio-disk0', 'write -P 0xcd 130M 64k');
    // QEMU writes the bitmap into the image as it exits.
    await virsh(host1.uri, 'destroy', fixture.vm.name);
    await waitShutOff();

    const result = await backup(full);
    offline = result.pointId;
    expect(result).toMatchObject({ type: 'incremental', changeTracking: 'checkpoint' });
    expect(result.fallbackReason).toBeUndefined();
    // The two writes, in 64 KiB granules: not the 24 MiB of data on the disk.
    expect(result.disks[0]!.readBytes).toBe(MiB + 64 * 1024);
    expect(fixture.logs.join('\n')).toContain(`vda written since checkpoint ${checkpoint}`);
    // No checkpoint can be made while it is off: the next incremental starts from the same one.
    expect((await fixture.metaOf(offline)).checkpoint?.name).toBe(checkpoint);
    await fixture.expectPointMatchesScratchVm(offline);
  }, 180_000);

  it('reads the same ranges again while it stays off, and stores nothing new', async () => {
    const result = await backup(offline);
    expect(result).toMatchObject({ type: 'incremental', changeTracking: 'checkpoint' });
    expect(result.disks[0]).toMatchObject({ readBytes: MiB + 64 * 1024, newBytes: 0 });
    await fixture.expectPointMatchesScratchVm(result.pointId);
    offline = result.pointId;
  }, 180_000);

  it('compares blocks when QEMU was killed and left the bitmap marked in use', async () => {
    await virsh(host1.uri, 'start', fixture.vm.name);
    await qemuIo(host1.uri, fixture.vm.name, 'virtio-disk0', 'write -P 0xef 2M 512k');
    await run('pkill', ['-KILL', '-f', `guest=${fixture.vm.name}`]);
    await waitShutOff();

    const result = await backup(offline);
    expect(result).toMatchObject({ type: 'incremental', changeTracking: 'block-comparison' });
    expect(result.fallbackReason).toMatch(/bitmap .* in use/);
    expect(fixture.logs.join('\n')).toMatch(/Changed block tracking could not be used/);
    expect(result.disks[0]!.readBytes).toBeGreaterThanOrEqual(24 * MiB);
    await fixture.expectPointMatchesScratchVm(result.pointId);
  }, 180_000);

  it('goes back to the checkpoint once it runs again', async () => {
    await virsh(host1.uri, 'start', fixture.vm.name);
    const result = await backup(offline);
    expect(result.type).toBe('incremental');
    await fixture.expectPointMatchesScratchVm(result.pointId, { pause: true });
  }, 180_000);
});

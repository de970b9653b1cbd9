/**
 * Incrementals of a VM that was backed up while running, then shut off: QEMU stores the
 * checkpoint's dirty bitmap in the qcow2 image as it stops, and the backup of the stopped VM
 * reads only what that bitmap marks. Real libvirtd and QEMU; every point is restored and
 * compared byte for byte with the VM's disk.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { backupVm, type BackupVmResult } from '../../../src-main/engine/backup/backup-vm';
import type { BackupPointMeta } from '../../../src-main/engine/backup/types';
import {
  createLibvirtConnector,
  type LibvirtConnector,
} from '../../../src-main/engine/connectors/libvirt/libvirt-connector';
import type { Repository } from '../../../src-main/engine/repository/repository';
import { run, virsh } from '../../harness/exec';
import { initRepo, makeTempDir } from '../repository/helpers';
import {
  createScratchVm,
  expectPointMatchesVm,
  qemuIo,
  type ScratchVm,
  TEST_BACKUP_SETTINGS,
} from './backup-helpers';

const lab = inject('lab');
const MiB = 1024 * 1024;
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;

let scratch: string;
let repoDir: string;
let repository: Repository;
let connector: LibvirtConnector;
let vm: ScratchVm;
let vmUuid: string;
let logs: string[] = [];

async function backup(parent?: string): Promise<BackupVmResult> {
  logs = [];
  return backupVm({
    connector,
    vmUuid,
    repository,
    ...(parent ? { parentPointId: parent } : {}),
    forceFull: false,
    settings: TEST_BACKUP_SETTINGS,
    signal: new AbortController().signal,
    onProgress: () => undefined,
    log: (line) => logs.push(line),
  });
}

async function metaOf(pointId: string): Promise<BackupPointMeta> {
  return (await repository.getPoint(pointId)).meta as unknown as BackupPointMeta;
}

const disks = () => [{ target: 'vda', path: vm.disk }];

async function waitShutOff(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await virsh(host1.uri, 'domstate', vm.name)).trim() === 'shut off') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${vm.name} did not stop`);
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hk-offline-bitmap-'));
  repoDir = await makeTempDir('offline-bitmap-repo');
  repository = await initRepo(repoDir);
  connector = createLibvirtConnector({ type: 'libvirt', uri: host1.uri });
  const web = lab.vms.find((v) => v.name === 'lab-web-01')!;
  vm = await createScratchVm(
    host1.uri,
    `hk-offline-bitmap-${process.pid}`,
    web.disks[0]!.path,
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

describe('a VM shut off after a backup while it ran', () => {
  let full: string;
  let offline: string;

  it('is backed up by reading only what the guest wrote since the checkpoint', async () => {
    const first = await backup();
    full = first.pointId;
    const checkpoint = (await metaOf(full)).checkpoint!.name;
    await qemuIo(host1.uri, vm.name, 'virtio-disk0', 'write -P 0xab 300M 1M');
    await qemuIo(host1.uri, vm.name, 'virtio-disk0', 'write -P 0xcd 130M 64k');
    // QEMU writes the bitmap into the image as it exits.
    await virsh(host1.uri, 'destroy', vm.name);
    await waitShutOff();

    const result = await backup(full);
    offline = result.pointId;
    expect(result).toMatchObject({ type: 'incremental', changeTracking: 'checkpoint' });
    expect(result.fallbackReason).toBeUndefined();
    // The two writes, in 64 KiB granules: not the 24 MiB of data on the disk.
    expect(result.disks[0]!.readBytes).toBe(MiB + 64 * 1024);
    expect(logs.join('\n')).toContain(`vda written since checkpoint ${checkpoint}`);
    // No checkpoint can be made while it is off: the next incremental starts from the same one.
    expect((await metaOf(offline)).checkpoint?.name).toBe(checkpoint);
    await expectPointMatchesVm(repository, offline, disks(), scratch);
  }, 180_000);

  it('reads the same ranges again while it stays off, and stores nothing new', async () => {
    const result = await backup(offline);
    expect(result).toMatchObject({ type: 'incremental', changeTracking: 'checkpoint' });
    expect(result.disks[0]).toMatchObject({ readBytes: MiB + 64 * 1024, newBytes: 0 });
    await expectPointMatchesVm(repository, result.pointId, disks(), scratch);
    offline = result.pointId;
  }, 180_000);

  it('compares blocks when QEMU was killed and left the bitmap marked in use', async () => {
    await virsh(host1.uri, 'start', vm.name);
    await qemuIo(host1.uri, vm.name, 'virtio-disk0', 'write -P 0xef 2M 512k');
    await run('pkill', ['-KILL', '-f', `guest=${vm.name}`]);
    await waitShutOff();

    const result = await backup(offline);
    expect(result).toMatchObject({ type: 'incremental', changeTracking: 'block-comparison' });
    expect(result.fallbackReason).toMatch(/bitmap .* in use/);
    expect(logs.join('\n')).toMatch(/Changed block tracking could not be used/);
    expect(result.disks[0]!.readBytes).toBeGreaterThanOrEqual(24 * MiB);
    await expectPointMatchesVm(repository, result.pointId, disks(), scratch);
  }, 180_000);

  it('goes back to the checkpoint once it runs again', async () => {
    await virsh(host1.uri, 'start', vm.name);
    const result = await backup(offline);
    expect(result.type).toBe('incremental');
    await expectPointMatchesVm(repository, result.pointId, disks(), scratch, {
      uri: host1.uri,
      vm: vm.name,
    });
  }, 180_000);
});

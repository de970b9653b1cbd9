/**
 * Disk-level backups of vSphere VMs against govmomi's simulator: real VMDKs made by qemu-img are
 * uploaded over the simulator's placeholder disks, backed up through a snapshot, changed and
 * backed up again (block comparison, FIG. 16/17), and restored from the repository byte for byte.
 */
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupVmResult } from '../../../src-main/engine/backup/types';
import { backupVsphereVm } from '../../../src-main/engine/backup/vsphere/vsphere-backup';
import type { VspherePointMeta } from '../../../src-main/engine/backup/vsphere/vsphere-point-meta';
import { retrieveObject } from '../../../src-main/engine/connectors/vsphere/property-collector';
import { childrenNamed } from '../../../src-main/engine/connectors/vsphere/soap-xml';
import {
  createVsphereConnector,
  type VsphereConnector,
} from '../../../src-main/engine/connectors/vsphere/vsphere-connector';
import type { Repository } from '../../../src-main/engine/repository/repository';
import { startVcsim, uploadToDatastore, vmdkFromRaw, type Vcsim } from '../../harness/vcsim';
import { TEST_BACKUP_SETTINGS, restoreDisk } from '../backup/backup-helpers';
import {
  hashFile,
  hashReader,
  initRepo,
  makeExt4Image,
  makeTempDir,
  seededBytes,
} from '../repository/helpers';
import { openDatastoreDisk } from '../../../src-main/engine/backup/vsphere/datastore-disk';
import { restoreVsphereVm } from '../../../src-main/engine/restore/vsphere/restore-vsphere-vm';

const MiB = 1024 * 1024;
const SETTINGS = TEST_BACKUP_SETTINGS;

let sim: Vcsim;
let esx: Vcsim;
let dir: string;
let raw: string;
let repository: Repository;
let connector: VsphereConnector;
const logs: string[] = [];

function connectTo(target: Vcsim): VsphereConnector {
  return createVsphereConnector({
    type: 'vsphere',
    uri: target.url,
    username: target.username,
    password: target.password,
    certificateFingerprint: target.fingerprint,
  });
}

async function uploadRaw(target: Vcsim, datacenter: string, vmFolder: string): Promise<void> {
  const vmdk = join(dir, 'disk1.vmdk');
  await vmdkFromRaw(raw, vmdk);
  await uploadToDatastore(target, datacenter, `[LocalDS_0] ${vmFolder}/disk1.vmdk`, vmdk);
}

async function backup(
  via: VsphereConnector,
  vmName: string,
  parent?: string,
): Promise<BackupVmResult> {
  const vm = await via.getVm(vmName);
  return backupVsphereVm({
    connector: via,
    vmUuid: vm.uuid,
    repository,
    ...(parent ? { parentPointId: parent } : {}),
    forceFull: false,
    settings: SETTINGS,
    signal: new AbortController().signal,
    onProgress: () => undefined,
    log: (line) => logs.push(line),
  });
}

async function expectRestoredEqualsRaw(pointId: string, target: string): Promise<void> {
  const out = join(dir, `restored-${pointId}.raw`);
  await restoreDisk(repository, pointId, target, out);
  expect(await hashFile(out)).toBe(await hashFile(raw));
  await rm(out);
}

async function snapshotCount(via: VsphereConnector, vmName: string): Promise<number> {
  const vm = await via.getVsphereVm(vmName);
  const props = await retrieveObject(via.client, { type: 'VirtualMachine', value: vm.moref }, [
    'snapshot',
  ]);
  return childrenNamed(props.get('snapshot'), 'rootSnapshotList').length;
}

beforeAll(async () => {
  [sim, esx] = await Promise.all([startVcsim({ model: 'vpx' }), startVcsim({ model: 'esx' })]);
  dir = await makeTempDir('vsphere-backup');
  raw = await makeExt4Image(dir, 16, 3e6);
  repository = await initRepo(join(dir, 'repo'));
  connector = connectTo(sim);
  await uploadRaw(sim, 'DC0', 'DC0_C0_RP0_VM0');
}, 900_000);

afterAll(async () => {
  await connector?.close();
  await Promise.all([sim?.stop(), esx?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('backup of a vSphere VM through a snapshot', () => {
  let full: BackupVmResult;
  let latestPointId = '';

  it('takes a full backup of the uploaded VMDK, removes its snapshot, and restores byte for byte', async () => {
    full = await backup(connector, 'DC0_C0_RP0_VM0');
    expect(full).toMatchObject({ type: 'full', changeTracking: 'none' });
    expect(full.disks).toEqual([
      expect.objectContaining({ target: 'scsi0:0', logicalBytes: 16 * MiB }),
    ]);
    // Sparse VMDK: only the grains ext4 wrote are read.
    expect(full.disks[0]!.readBytes).toBeLessThan(12 * MiB);
    expect(await snapshotCount(connector, 'DC0_C0_RP0_VM0')).toBe(0);
    const point = await repository.getPoint(full.pointId);
    const meta = point.meta as unknown as VspherePointMeta;
    expect(meta.vsphere).toMatchObject({ datacenter: 'DC0', cluster: 'DC0_C0' });
    expect(meta.disks[0]).toMatchObject({ source: '[LocalDS_0] DC0_C0_RP0_VM0/disk1.vmdk' });
    await expectRestoredEqualsRaw(full.pointId, 'scsi0:0');
  });

  it('stores only the changed blocks of the next backup (block comparison) and restores the new content', async () => {
    const fh = await open(raw, 'r+');
    await fh.write(seededBytes('vsphere-change', MiB), 0, MiB, 12 * MiB);
    await fh.close();
    await uploadRaw(sim, 'DC0', 'DC0_C0_RP0_VM0');
    const incremental = await backup(connector, 'DC0_C0_RP0_VM0', full.pointId);
    expect(incremental).toMatchObject({ type: 'incremental', changeTracking: 'block-comparison' });
    const disk = incremental.disks[0]!;
    expect(disk.readBytes).toBeGreaterThan(full.disks[0]!.readBytes);
    expect(disk.newBytes).toBeGreaterThanOrEqual(MiB);
    expect(disk.newBytes).toBeLessThan(2 * MiB);
    await expectRestoredEqualsRaw(incremental.pointId, 'scsi0:0');
    latestPointId = incremental.pointId;
  });

  it('restores the latest point as a new VM on vCenter: disk uploaded, VM created and powered on', async () => {
    const result = await restoreVsphereVm({
      connector,
      repository,
      pointId: latestPointId,
      name: 'restored-vm',
      powerOn: true,
      signal: new AbortController().signal,
      log: (line) => logs.push(line),
    });
    const vm = await connector.getVsphereVm('restored-vm');
    expect(vm.vm).toMatchObject({ uuid: result.uuid, powerState: 'running', vcpus: 1 });
    expect(vm.vm.disks).toContainEqual(
      expect.objectContaining({
        target: 'scsi0:0',
        path: '[LocalDS_0] restored-vm/restored-vm.vmdk',
      }),
    );
    const image = await openDatastoreDisk(
      connector,
      'DC0',
      vm.disks[0]!.fileName,
      new AbortController().signal,
    );
    try {
      expect(await hashReader(image)).toBe(await hashFile(raw));
    } finally {
      await image.close();
    }
    await expect(
      restoreVsphereVm({
        connector,
        repository,
        pointId: latestPointId,
        name: 'restored-vm',
        powerOn: false,
        signal: new AbortController().signal,
        log: () => undefined,
      }),
    ).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('reads a descriptor with a flat extent straight from a standalone ESX host', async () => {
    const esxConnector = connectTo(esx);
    try {
      const descriptor = join(dir, 'flat', 'disk1.vmdk');
      await rm(join(dir, 'flat'), { recursive: true, force: true });
      await mkdir(join(dir, 'flat'));
      await vmdkFromRaw(raw, descriptor, 'monolithicFlat');
      await uploadToDatastore(
        esx,
        'ha-datacenter',
        '[LocalDS_0] ha-host_VM0/disk1.vmdk',
        descriptor,
      );
      await uploadToDatastore(
        esx,
        'ha-datacenter',
        '[LocalDS_0] ha-host_VM0/disk1-flat.vmdk',
        join(dir, 'flat', 'disk1-flat.vmdk'),
      );
      const result = await backup(esxConnector, 'ha-host_VM0');
      expect(result.disks[0]).toMatchObject({ target: 'scsi0:0', logicalBytes: 16 * MiB });
      await expectRestoredEqualsRaw(result.pointId, 'scsi0:0');
    } finally {
      await esxConnector.close();
    }
  });
});

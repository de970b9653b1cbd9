/**
 * vSphere hypervisors registered in the engine like an administrator does it: the certificate
 * shown by a connection test and accepted, then discovery through a vCenter (the manager, FIG. 3)
 * and straight through a standalone ESX host feeding the same rules and subclients as libvirt.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, RequestOf } from '../../../shared/contract';
import { apiCall } from '../../harness/api-calls';
import { createHandlers, type Handlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';
import { startVcsim, uploadToDatastore, vmdkFromRaw, type Vcsim } from '../../harness/vcsim';

const MiB = 1024 * 1024;

let vcenter: Vcsim;
let esx: Vcsim;
let dir: string;
let engine: Engine;
let handlers: Handlers;

const call = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  apiCall(handlers, channel, request);

beforeAll(async () => {
  [vcenter, esx] = await Promise.all([startVcsim({ model: 'vpx' }), startVcsim({ model: 'esx' })]);
  dir = mkdtempSync(join(tmpdir(), 'hk-vsphere-discovery-'));
  engine = Engine.open({ home: join(dir, 'home'), mode: 'cli' });
  handlers = createHandlers(engine);
}, 900_000);

afterAll(async () => {
  await engine?.close();
  await Promise.all([vcenter?.stop(), esx?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('registering vSphere servers and discovering their VMs', () => {
  it('shows the certificate of a server not accepted yet, then connects once it is pinned', async () => {
    const input = {
      name: 'vcenter',
      type: 'vsphere' as const,
      uri: vcenter.url,
      username: vcenter.username,
      password: vcenter.password,
    };
    const first = await call('hypervisor.test', input);
    expect(first.ok).toBe(false);
    expect(first.error?.message).toMatch(/not accepted yet/);
    expect(first.certificate?.fingerprint).toBe(vcenter.fingerprint);
    expect(first.certificate?.validTo).toMatch(/^\d{4}-/);

    const accepted = await call('hypervisor.test', {
      ...input,
      certificateFingerprint: first.certificate!.fingerprint,
    });
    expect(accepted).toMatchObject({ ok: true, vmCount: 4 });
    expect(accepted.certificate?.fingerprint).toBe(vcenter.fingerprint);
  });

  it('places the VMs of a vCenter and of a standalone ESX host by the same rules', async () => {
    const vc = await call('hypervisor.add', {
      name: 'vcenter',
      type: 'vsphere',
      uri: vcenter.url,
      username: vcenter.username,
      password: vcenter.password,
      certificateFingerprint: vcenter.fingerprint,
    });
    expect(vc.certificateFingerprint).toBe(vcenter.fingerprint);
    const host = await call('hypervisor.add', {
      name: 'esx-01',
      type: 'vsphere',
      uri: esx.url,
      username: esx.username,
      password: esx.password,
      certificateFingerprint: esx.fingerprint.replace(/:/g, '').toLowerCase(),
    });
    const set = await call('backupSet.create', {
      name: 'vsphere',
      hypervisorIds: [vc.id, host.id],
    });
    await call('subclient.create', {
      backupSetId: set.id,
      name: 'cluster',
      content: { rules: [{ type: 'tag', key: 'vsphere.cluster', pattern: '^DC0_C0$' }] },
    });
    await call('subclient.create', {
      backupSetId: set.id,
      name: 'standalone',
      content: { rules: [{ type: 'host', value: 'DC0_H0' }] },
    });
    const result = await call('discovery.run', { backupSetId: set.id });
    expect(result.errors).toEqual([]);
    const placed = new Map(result.assignments.map((a) => [a.vmName, a]));
    expect(placed.get('DC0_C0_RP0_VM0')).toMatchObject({
      subclientName: 'cluster',
      hypervisorName: 'vcenter',
    });
    expect(placed.get('DC0_C0_RP0_VM1')).toMatchObject({ subclientName: 'cluster' });
    expect(placed.get('DC0_H0_VM0')).toMatchObject({ subclientName: 'standalone' });
    expect(placed.get('DC0_H0_VM0')!.reason).toMatch(/host = DC0_H0/);
    expect(placed.get('ha-host_VM0')).toMatchObject({
      subclientName: 'default',
      hypervisorName: 'esx-01',
    });
    expect(placed.get('ha-host_VM1')).toMatchObject({ subclientName: 'default' });
  });

  it('backs up a vSphere VM in a backup job, like a libvirt one', async () => {
    const raw = join(dir, 'small.raw');
    writeFileSync(raw, Buffer.concat([Buffer.alloc(MiB), Buffer.alloc(3 * MiB, 'hyperkeep ')]));
    await vmdkFromRaw(raw, join(dir, 'small.vmdk'));
    await uploadToDatastore(
      vcenter,
      'DC0',
      '[LocalDS_0] DC0_H0_VM0/disk1.vmdk',
      join(dir, 'small.vmdk'),
    );
    await call('repo.init', { location: join(dir, 'repo'), encrypt: false });
    const job = await call('backup.start', { vm: 'DC0_H0_VM0' });
    const done = await engine.jobs.wait(job.id);
    expect(done.status, engine.jobs.log(job.id)).toBe('succeeded');
    const points = await call('points.list', { vm: 'DC0_H0_VM0' });
    expect(points).toHaveLength(1);

    // FIG. 14A through the same channel the console uses: a new VM on the vCenter, with progress.
    const vcenterId = (await call('hypervisor.list', {})).find(
      (h) => h.type === 'vsphere' && h.uri === vcenter.url,
    )!.id;
    const pools = await call('hypervisor.pools', { hypervisorId: vcenterId });
    expect(pools.map((p) => p.name)).toContain('LocalDS_0');
    const restore = await call('restore.vm', {
      vm: 'DC0_H0_VM0',
      pointId: points[0]!.id,
      hypervisorId: vcenterId,
      name: 'DC0_H0_VM0-restored',
      pool: 'LocalDS_0',
    });
    const restored = await engine.jobs.wait(restore.id);
    expect(restored.status, engine.jobs.log(restore.id)).toBe('succeeded');
    expect(restored.tasks[0]).toMatchObject({ bytesDone: 4 * MiB, bytesTotal: 4 * MiB });
    const vms = await call('vm.list', { hypervisorId: vcenterId });
    expect(vms.vms.map((vm) => vm.name)).toContain('DC0_H0_VM0-restored');
    await expect(
      call('restore.vm', {
        vm: 'DC0_H0_VM0',
        pointId: points[0]!.id,
        hypervisorId: vcenterId,
        inPlace: true,
        confirmInPlace: true,
      }),
    ).rejects.toThrow(/In-place restores to vSphere are not supported/);
  });
});

/**
 * FIG. 14A/B against the lab's real libvirtd and QEMU: lab-web-01 is backed up on lab-host-1 and
 * restored onto lab-host-2 under a new name through libvirt's volume upload. The restored VM has a
 * new UUID and MAC addresses, its disk equals the backup byte for byte, and it starts. A name that
 * exists is refused, and a single disk restored into the pool equals the backup too. In-place
 * restores overwrite a VM's disks: restore-vm-in-place.test.ts runs them on a VM of its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Channel, RequestOf } from '../../../shared/contract';
import type { Job } from '../../../shared/domain/jobs';
import { createHandlers, type Handlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';
import { apiCall, apiRefusal, macAddresses } from '../../harness/api-calls';
import { run, virsh } from '../../harness/exec';
import { LAB_POOL } from '../../harness/pools';
import { deleteOurCheckpoints, restoreDisk } from '../backup/backup-helpers';

const lab = inject('lab');
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;
const host2 = lab.hosts.find((h) => h.name === 'lab-host-2')!;
const SOURCE_VM = 'lab-web-01';
const RESTORED = `lab-web-restored-${process.pid}`;
const DISK_VOLUME = `hk-disk-${process.pid}.img`;

let dir: string;
let engine: Engine;
let handlers: Handlers;
let pointId: string;

const call = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  apiCall(handlers, channel, request);
const callError = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  apiRefusal(handlers, channel, request);

async function finished(job: Job): Promise<Job> {
  const done = await engine.jobs.wait(job.id);
  if (done.status !== 'succeeded') {
    throw new Error(
      `${job.title}: ${done.status} ${done.error?.message}\n${engine.jobs.log(job.id)}`,
    );
  }
  return done;
}

async function expectSameAsPoint(
  disk: string,
  volumePath: string,
  format: string,
  point = pointId,
): Promise<void> {
  const raw = join(dir, `${point}-${disk}.raw`);
  const repository = await engine.repositories.get('default');
  await restoreDisk(repository, point, disk, raw);
  const { stdout } = await run('qemu-img', [
    'compare',
    '-U',
    '-f',
    'raw',
    '-F',
    format,
    raw,
    volumePath,
  ]);
  expect(stdout).toContain('Images are identical');
  await rm(raw, { force: true });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-restore-vm-'));
  engine = Engine.open({ home: join(dir, 'home'), mode: 'cli' });
  handlers = createHandlers(engine);
  for (const host of lab.hosts) {
    await call('hypervisor.add', { name: host.name, type: 'libvirt', uri: host.uri });
  }
  await call('repo.init', { location: join(dir, 'repo'), encrypt: false });
  const backup = await finished(await call('backup.start', { vm: SOURCE_VM }));
  expect(backup.status).toBe('succeeded');
  const points = await call('points.list', { vm: SOURCE_VM });
  pointId = points[0]!.id;
});

afterAll(async () => {
  await virsh(host2.uri, 'destroy', RESTORED).catch(() => undefined);
  await virsh(host2.uri, 'undefine', RESTORED, '--nvram').catch(() => undefined);
  const volumes = await virsh(host2.uri, 'vol-list', LAB_POOL).catch(() => '');
  for (const name of volumes.matchAll(/^\s*(\S+)\s+\//gm)) {
    if (name[1]!.startsWith(RESTORED) || name[1] === DISK_VOLUME) {
      await virsh(host2.uri, 'vol-delete', '--pool', LAB_POOL, name[1]!).catch(() => undefined);
    }
  }
  await deleteOurCheckpoints(host1.uri, SOURCE_VM).catch(() => undefined);
  await engine?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('VM restore into a libvirt host (FIG. 14A)', () => {
  it('lists the destination storage pools', async () => {
    const pools = await call('hypervisor.pools', { hypervisorId: 'lab-host-2' });
    expect(pools).toContainEqual(
      expect.objectContaining({ name: LAB_POOL, type: 'dir', active: true }),
    );
    expect(pools.find((p) => p.name === LAB_POOL)!.path).toMatch(/pools\/lab-host-2$/);
  });

  it('restores lab-web-01 to lab-host-2 under a new name: new UUID and MACs, same disk, starts', async () => {
    const inventoryEvents: unknown[] = [];
    const stopListening = engine.events.onAny((event, payload) => {
      if (event === 'inventory.changed') inventoryEvents.push(payload);
    });
    const job = await finished(
      await call('restore.vm', {
        vm: SOURCE_VM,
        pointId,
        hypervisorId: 'lab-host-2',
        name: RESTORED,
        powerOn: true,
      }),
    );
    const result = job.result as {
      uuid: string;
      disks: { target: string; path: string; format: string }[];
      poweredOn: boolean;
    };
    expect(result.poweredOn).toBe(true);
    expect((await virsh(host2.uri, 'domstate', RESTORED)).trim()).toBe('running');
    // The consoles list the new VM without a Refresh (review M5).
    stopListening();
    const destination = (await call('hypervisor.list', {})).find((h) => h.name === 'lab-host-2')!;
    expect(inventoryEvents).toContainEqual({ hypervisorId: destination.id });

    const source = lab.vms.find((v) => v.name === SOURCE_VM)!;
    const uuid = (await virsh(host2.uri, 'domuuid', RESTORED)).trim();
    expect(uuid).toBe(result.uuid);
    expect(uuid).not.toBe(source.uuid);
    const oldMacs = await macAddresses(host1.uri, SOURCE_VM);
    const newMacs = await macAddresses(host2.uri, RESTORED);
    expect(newMacs.length).toBe(oldMacs.length);
    for (const mac of newMacs) expect(oldMacs).not.toContain(mac);

    expect(result.disks.map((d) => d.target)).toEqual(source.disks.map((d) => d.target));
    for (const disk of result.disks) {
      expect(disk.path).toContain(`pools/lab-host-2/${RESTORED}-${disk.target}`);
      expect(disk.format).toBe('qcow2');
      await expectSameAsPoint(disk.target, disk.path, 'qcow2');
    }
    const log = engine.jobs.log(job.id);
    expect(log).toMatch(/Uploaded \d+ bytes/);
    expect(log).toMatch(/Powered on/);
    expect(job.tasks.every((t) => t.status === 'succeeded' && t.bytesDone === t.bytesTotal)).toBe(
      true,
    );
    // Powered off again so the guest's emulation does not slow the rest; it stays defined.
    await virsh(host2.uri, 'destroy', RESTORED);
  });

  it('a cancelled restore takes back the volumes it created and defines nothing', async () => {
    const name = `${RESTORED}-cancelled`;
    const job = await call('restore.vm', {
      vm: SOURCE_VM,
      pointId,
      hypervisorId: 'lab-host-2',
      name,
    });
    for (let i = 0; i < 500 && (engine.jobs.get(job.id).tasks[0]?.bytesDone ?? 0) === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    engine.jobs.cancel(job.id);
    const done = await engine.jobs.wait(job.id);
    expect(done.status).toBe('cancelled');
    expect(engine.jobs.log(job.id)).toMatch(/Undone: delete volume/);
    expect(await virsh(host2.uri, 'vol-list', LAB_POOL)).not.toContain(name);
    await expect(virsh(host2.uri, 'domstate', name)).rejects.toThrow();
  });

  it('refuses a name that already exists on the destination, and leaves nothing behind', async () => {
    const before = await virsh(host2.uri, 'vol-list', LAB_POOL);
    const error = await callError('restore.vm', {
      vm: SOURCE_VM,
      pointId,
      hypervisorId: 'lab-host-2',
      name: RESTORED,
    });
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(error.message).toContain(`A VM named ${RESTORED} already exists on lab-host-2`);
    expect(await virsh(host2.uri, 'vol-list', LAB_POOL)).toBe(before);
  });

  it('refuses to restore in place over a running VM', async () => {
    const error = await callError('restore.vm', {
      vm: SOURCE_VM,
      pointId,
      hypervisorId: 'lab-host-1',
      inPlace: true,
      confirmInPlace: true,
    });
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/lab-web-01 is running on lab-host-1: shut it down first/);
  });

  it('restores one disk into the pool of lab-host-2 (FIG. 14B)', async () => {
    const job = await finished(
      await call('restore.diskToPool', {
        vm: SOURCE_VM,
        pointId,
        disk: 'vda',
        hypervisorId: 'lab-host-2',
        pool: LAB_POOL,
        volumeName: DISK_VOLUME,
        format: 'raw',
      }),
    );
    const { path } = job.result as { path: string };
    await expectSameAsPoint('vda', path, 'raw');
    // Sparse upload: the volume holds about the disk's data, not its whole capacity.
    const { stdout } = await run('du', ['-B1', path]);
    const point = (await call('points.list', { vm: SOURCE_VM }))[0]!;
    const vda = point.disks.find((d) => d.name === 'vda')!;
    expect(Number(stdout.split(/\s/)[0])).toBeLessThan(vda.dataBytes + 8 * 1024 * 1024);
  });
});

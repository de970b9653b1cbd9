/**
 * FIG. 14A "in place" against the lab's real libvirtd and QEMU, on a powered-off VM this file
 * owns (a private copy of lab-archive-01's disk in lab-host-1's default pool): after a backup, the
 * guest writes a marker; the in-place restore overwrites the disk file at its own path and in its
 * own format, keeps the UUID and MACs, leaves no staged or kept volume behind, and the VM starts.
 * A cancelled in-place restore leaves the disk byte for byte as it was.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Channel, RequestOf } from '../../../shared/contract';
import type { Job } from '../../../shared/domain/jobs';
import { createHandlers, type Handlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';
import { apiCall, apiRefusal, macAddresses } from '../../harness/api-calls';
import { run, virsh } from '../../harness/exec';
import { LAB_POOL } from '../../harness/pools';
import { defineThrowawayVm, removeThrowawayVm, type ThrowawayVm } from '../../harness/throwaway-vm';
import { restoreDisk } from '../backup/backup-helpers';

const lab = inject('lab');
const VM_NAME = `hk-in-place-${process.pid}`;

let dir: string;
let engine: Engine;
let handlers: Handlers;
let vm: ThrowawayVm | undefined;
let pointId: string;

const call = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  apiCall(handlers, channel, request);
const callError = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  apiRefusal(handlers, channel, request);

async function qemuIo(path: string, command: string): Promise<string> {
  return (await run('qemu-io', ['-f', 'qcow2', '-c', command, path])).stdout;
}

/** What an administrator would look at: the pool's volumes and the files in its directory. */
async function poolContents(): Promise<{ volumes: string[]; files: string[] }> {
  const { uri } = vm!.host;
  await virsh(uri, 'pool-refresh', LAB_POOL);
  const list = await virsh(uri, 'vol-list', LAB_POOL);
  const volumes = [...list.matchAll(/^\s*(\S+)\s+\//gm)].map((m) => m[1]!).sort();
  const files = (await readdir(dirname(vm!.diskPath))).sort();
  return { volumes, files };
}

const sha256 = async (path: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-restore-in-place-'));
  engine = Engine.open({ home: join(dir, 'home'), mode: 'cli' });
  handlers = createHandlers(engine);
  vm = await defineThrowawayVm(lab, {
    name: VM_NAME,
    host: 'lab-host-1',
    copyDiskOf: 'lab-archive-01',
  });
  // 40 MiB of data the restore must carry back, so a cancel finds it busy.
  await qemuIo(vm.diskPath, 'write -P 0x5c 16M 40M');
  await call('hypervisor.add', { name: vm.host.name, type: 'libvirt', uri: vm.host.uri });
  await call('repo.init', { location: join(dir, 'repo'), encrypt: false });
  // Backed up while running, as usual: the backup leaves a checkpoint (bitmaps in the qcow2).
  await virsh(vm.host.uri, 'start', VM_NAME);
  const backup = await engine.jobs.wait((await call('backup.start', { vm: VM_NAME })).id);
  expect(backup.status, engine.jobs.log(backup.id)).toBe('succeeded');
  await virsh(vm.host.uri, 'destroy', VM_NAME);
  pointId = (await call('points.list', { vm: VM_NAME }))[0]!.id;
  // What the VM wrote after the backup: an in-place restore must take it away.
  await qemuIo(vm.diskPath, 'write -P 0xab 1M 1M');
});

afterAll(async () => {
  if (vm) await removeThrowawayVm(vm);
  await engine?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function inPlaceRequest() {
  return {
    vm: VM_NAME,
    pointId,
    hypervisorId: 'lab-host-1',
    inPlace: true,
    confirmInPlace: true,
  } as const;
}

describe('VM restore in place (FIG. 14A)', () => {
  it('asks for confirmation before it would overwrite anything', async () => {
    const refused = await callError('restore.vm', { ...inPlaceRequest(), confirmInPlace: false });
    expect(refused.code).toBe('INVALID_INPUT');
    expect(refused.message).toMatch(new RegExp(`replaces VM ${VM_NAME} .*confirm it`));
  });

  it('a cancelled in-place restore leaves the disk as it was and nothing beside it', async () => {
    const before = await poolContents();
    const diskBefore = await sha256(vm!.diskPath);
    const job = await call('restore.vm', inPlaceRequest());
    for (let i = 0; i < 2000 && (engine.jobs.get(job.id).tasks[0]?.bytesDone ?? 0) === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    engine.jobs.cancel(job.id);
    const done: Job = await engine.jobs.wait(job.id);
    const log = engine.jobs.log(job.id);
    expect(done.status, log).toBe('cancelled');
    expect(log).toMatch(/Undone: delete volume .*\.hk-restore-/);
    expect(await sha256(vm!.diskPath)).toBe(diskBefore);
    expect(await poolContents()).toEqual(before);
    expect((await virsh(vm!.host.uri, 'domuuid', VM_NAME)).trim()).toBe(vm!.uuid);
  });

  it('overwrites the disk at its own path: same UUID and MACs, equal to the backup, starts', async () => {
    const { uri } = vm!.host;
    const before = await poolContents();
    const macsBefore = await macAddresses(uri, VM_NAME);
    expect(await qemuIo(vm!.diskPath, 'read -P 0xab 1M 1M')).toMatch(/read 1048576/);

    const job = await engine.jobs.wait((await call('restore.vm', inPlaceRequest())).id);
    const log = engine.jobs.log(job.id);
    expect(job.status, log).toBe('succeeded');
    expect(log).toMatch(/Staged vda: read back and verified/);
    expect(log).toContain(`Replaced ${vm!.diskPath} (qcow2)`);
    expect(log).toMatch(new RegExp(`Forgot 1 checkpoint\\(s\\) of ${VM_NAME}`));
    expect(await virsh(uri, 'checkpoint-list', '--name', VM_NAME)).toMatch(/^\s*$/);

    expect((await virsh(uri, 'domblklist', VM_NAME)).split('\n').join(' ')).toMatch(
      new RegExp(`vda\\s+${vm!.diskPath.replace(/[.]/g, '\\.')}`),
    );
    expect((await virsh(uri, 'domuuid', VM_NAME)).trim()).toBe(vm!.uuid);
    expect(await macAddresses(uri, VM_NAME)).toEqual(macsBefore);
    const info = JSON.parse(
      (await run('qemu-img', ['info', '--output=json', vm!.diskPath])).stdout,
    ) as { format: string; 'format-specific': { data: { compat: string } } };
    expect(info.format).toBe('qcow2');
    // qcow2 v3, as it was: v2 images cannot hold the bitmaps of the next incremental backup.
    expect(info['format-specific'].data.compat).toBe('1.1');

    const raw = join(dir, 'point-vda.raw');
    await restoreDisk(await engine.repositories.get('default'), pointId, 'vda', raw);
    const { stdout } = await run('qemu-img', [
      'compare',
      '-f',
      'raw',
      '-F',
      'qcow2',
      raw,
      vm!.diskPath,
    ]);
    expect(stdout).toContain('Images are identical');
    await rm(raw, { force: true });

    // Nothing staged or kept stays beside the disk, in the pool or in its directory.
    expect(await poolContents()).toEqual(before);
    await virsh(uri, 'start', VM_NAME);
    expect((await virsh(uri, 'domstate', VM_NAME)).trim()).toBe('running');
  });

  it('backs up again once restored in place and started', async () => {
    const job = await engine.jobs.wait((await call('backup.start', { vm: VM_NAME })).id);
    const log = engine.jobs.log(job.id);
    expect(job.status, log).toBe('succeeded');
    // The restore forgot the checkpoints whose bitmaps went with the old disk file: the backup
    // compares blocks once and has no stale checkpoint to fail on.
    expect(log).toMatch(/no longer exists on the VM.*compared block by block/);
    expect(log).not.toMatch(/Could not delete checkpoint/);
    await virsh(vm!.host.uri, 'destroy', VM_NAME);
  });
});

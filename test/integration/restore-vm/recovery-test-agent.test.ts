/**
 * A recovery test of a VM with a QEMU guest agent: the copy passes when its agent answers, the
 * verdict an administrator trusts most ("it booted far enough to run a service"). The VM is the
 * lab's agent VM (a real Linux kernel and qemu-ga in an initramfs, under TCG, see agent-vm.ts)
 * with a small data disk, backed up while shut off. The copy's agent channel has no socket path
 * of its own (the restore leaves the source host's out), so libvirt picks one: this is the test
 * that the lab's short config link (libvirtd.ts) keeps such copies startable.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Channel, RequestOf } from '../../../shared/contract';
import { createHandlers, type Handlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';
import { agentVmXml, buildAgentVmImage } from '../../harness/agent-vm';
import { apiCall } from '../../harness/api-calls';
import { run, virsh } from '../../harness/exec';
import { ensureLabAccount, giveToAccount } from '../../harness/lab-account';
import { LAB_POOL, labPoolDir } from '../../harness/pools';

const lab = inject('lab');
const host = lab.hosts.find((h) => h.name === 'lab-host-1')!;
const VM_NAME = `hk-rt-agent-${process.pid}`;

let dir: string;
let engine: Engine;
let handlers: Handlers;
let diskPath: string;
let hypervisorId: string;

const call = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  apiCall(handlers, channel, request);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-recovery-agent-'));
  engine = Engine.open({ home: join(dir, 'home'), mode: 'cli' });
  handlers = createHandlers(engine);
  diskPath = join(labPoolDir(lab.dir, host.name), `${VM_NAME}-vda.qcow2`);
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', diskPath, '16M']);
  await giveToAccount(await ensureLabAccount(), diskPath);
  await virsh(host.uri, 'pool-refresh', LAB_POOL);
  // No socket path on the channel, as a VM defined by virt-install or virt-manager has none.
  const disk = `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${diskPath}'/><target dev='vda' bus='virtio'/></disk>`;
  const xml = agentVmXml(VM_NAME, await buildAgentVmImage()).replace(
    '<controller',
    `${disk}\n    <controller`,
  );
  const xmlFile = join(dir, 'domain.xml');
  await writeFile(xmlFile, xml);
  await virsh(host.uri, 'define', xmlFile);
  hypervisorId = (await call('hypervisor.add', { name: host.name, type: 'libvirt', uri: host.uri }))
    .id;
  await call('repo.init', { location: join(dir, 'repo'), encrypt: false });
}, 300_000);

afterAll(async () => {
  await engine?.close();
  await virsh(host.uri, 'destroy', VM_NAME).catch(() => undefined);
  await virsh(host.uri, 'undefine', VM_NAME).catch(() => undefined);
  if (diskPath) await rm(diskPath, { force: true });
  await virsh(host.uri, 'pool-refresh', LAB_POOL).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a recovery test of a VM with a guest agent', () => {
  it('passes when the copy’s guest agent answers, and removes the copy', async () => {
    const backup = await engine.jobs.wait((await call('backup.start', { vm: VM_NAME })).id);
    expect(backup.status, engine.jobs.log(backup.id)).toBe('succeeded');
    const pointId = (await call('points.list', { vm: VM_NAME }))[0]!.id;

    const started = await call('restore.test', {
      vm: VM_NAME,
      pointId,
      hypervisorId,
      // Under TCG the agent answers 6–25 s after power-on, later on a loaded machine.
      bootSeconds: 150,
    });
    const done = await engine.jobs.wait(started.id);
    const log = engine.jobs.log(done.id);
    expect(done.status, log).toBe('succeeded');
    expect(done.result).toMatchObject({ heartbeat: 'guest agent' });
    const check = done.tasks.find((t) => t.label.endsWith(': boot check'));
    expect(check?.message).toMatch(/came up: its QEMU guest agent answered \d+ s after power-on/);

    const domains = await virsh(host.uri, 'list', '--all', '--name');
    const volumes = await virsh(host.uri, 'vol-list', LAB_POOL);
    expect(`${domains}\n${volumes}`).not.toContain('recovery-test');
  }, 600_000);
});

/**
 * Recovery tests against the lab's libvirt: a restore point restored as a copy without network
 * cards, powered on, watched, and removed with its disks whatever happened. A copy without a
 * guest agent channel passes when it keeps running; one the host cannot start fails with the
 * reason. Either way nothing of the copy is left on the host. A copy whose guest agent answers:
 * recovery-test-agent.test.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Channel, RequestOf } from '../../../shared/contract';
import { createHandlers, type Handlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';
import { Scheduler } from '../../../src-main/engine/jobs/scheduler';
import { virsh } from '../../harness/exec';
import { apiCall } from '../../harness/api-calls';
import { LAB_POOL } from '../../harness/pools';
import { defineThrowawayVm, removeThrowawayVm, type ThrowawayVm } from '../../harness/throwaway-vm';

const lab = inject('lab');
const VM_NAME = `hk-recovery-${process.pid}`;

let dir: string;
let engine: Engine;
let handlers: Handlers;
let vm: ThrowawayVm | undefined;
let hypervisorId: string;

const call = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  apiCall(handlers, channel, request);

/** What is on the host after a test: any domain or volume named after the test copies. */
async function leftovers(): Promise<string[]> {
  const { uri } = vm!.host;
  await virsh(uri, 'pool-refresh', LAB_POOL);
  const domains = await virsh(uri, 'list', '--all', '--name');
  const volumes = await virsh(uri, 'vol-list', LAB_POOL);
  return [...domains.split('\n'), ...volumes.split('\n')]
    .map((line) => line.trim().split(/\s+/)[0]!)
    .filter((name) => name.includes('recovery-test'));
}

async function backUp(): Promise<string> {
  const job = await engine.jobs.wait((await call('backup.start', { vm: VM_NAME })).id);
  expect(job.status, engine.jobs.log(job.id)).toBe('succeeded');
  return (await call('points.list', { vm: VM_NAME }))[0]!.id;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-recovery-test-'));
  engine = Engine.open({ home: join(dir, 'home'), mode: 'cli' });
  handlers = createHandlers(engine);
  vm = await defineThrowawayVm(lab, {
    name: VM_NAME,
    host: 'lab-host-1',
    copyDiskOf: 'lab-archive-01',
  });
  hypervisorId = (
    await call('hypervisor.add', { name: vm.host.name, type: 'libvirt', uri: vm.host.uri })
  ).id;
  await call('repo.init', { location: join(dir, 'repo'), encrypt: false });
});

afterAll(async () => {
  await engine?.close();
  if (vm) await removeThrowawayVm(vm);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a recovery test of a restore point', () => {
  it('boots an isolated copy, passes when it keeps running, and removes it', async () => {
    const pointId = await backUp();
    const started = await call('restore.test', {
      vm: VM_NAME,
      pointId,
      hypervisorId,
      bootSeconds: 6,
    });
    expect(started.title).toMatch(
      new RegExp(`^Recovery test of ${VM_NAME} \\(.*\\) on lab-host-1$`),
    );
    const done = await engine.jobs.wait(started.id);
    const log = engine.jobs.log(done.id);
    expect(done.status, log).toBe('succeeded');
    expect(done.result).toMatchObject({ point: pointId, heartbeat: 'kept running' });
    expect(done.result!['seconds']).toBeGreaterThanOrEqual(6);
    // The copy had no network card (the original has one), and it really ran.
    expect(log).toMatch(/Isolated: 1 network card\(s\) left out/);
    expect(log).toMatch(/Powered on .*-recovery-test-/);
    expect(log).toMatch(/Passed: the copy kept running for \d+ s \(it has no guest agent channel/);
    // The verdict has its row, as the console's VMs table and `restore test --wait` show it.
    expect(done.tasks.at(-1)).toMatchObject({
      label: expect.stringMatching(/-recovery-test-\w+: boot check$/),
      status: 'succeeded',
      message: expect.stringMatching(/^kept running for \d+ s/),
    });
    expect(await leftovers()).toEqual([]);
  });

  it("runs on the subclient's schedule for each VM's newest point", async () => {
    const set = await call('backupSet.create', { name: 'lab', hypervisorIds: [hypervisorId] });
    await call('subclient.create', {
      backupSetId: set.id,
      name: 'tested',
      content: { rules: [{ type: 'name', pattern: `^${VM_NAME}$` }] },
      settings: { recoveryTest: { enabled: true, cron: '* * * * * *', bootSeconds: 5 } },
    });
    await call('discovery.run', { backupSetId: set.id });
    const logged: string[] = [];
    const scheduler = new Scheduler(engine, (line) => logged.push(line));
    try {
      // Bounded by the test's timeout: the every-second schedule fires within a second or two.
      while (!logged.some((l) => l.startsWith('scheduled recovery test started')))
        await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      scheduler.stop();
    }
    const started = [...logged.join('\n').matchAll(/scheduled recovery test started: job (\S+)/g)];
    for (const [, id] of started) {
      const done = await engine.jobs.wait(id!);
      expect(done.title).toMatch(new RegExp(`^Recovery test of ${VM_NAME} `));
      expect(done.status, engine.jobs.log(id!)).toBe('succeeded');
    }
    expect(await leftovers()).toEqual([]);
  });

  it('refuses, when saved, a recovery test host that is not registered', async () => {
    const set = await call('backupSet.create', { name: 'hosts', hypervisorIds: [hypervisorId] });
    const settings = (hypervisor: string) => ({
      recoveryTest: { enabled: true, cron: '0 6 * * 6', hypervisor },
    });
    const refused = call('subclient.create', {
      backupSetId: set.id,
      name: 'elsewhere',
      content: { rules: [] },
      settings: settings('dr-site-host'),
    });
    await expect(refused).rejects.toMatchObject({
      data: { code: 'INVALID_INPUT', details: { field: 'settings.recoveryTest.hypervisor' } },
    });
    await expect(refused).rejects.toThrow(/No hypervisor "dr-site-host" is registered/);
    // The host as the CLI names it is accepted, and an edit is checked as a creation is.
    const created = await call('subclient.create', {
      backupSetId: set.id,
      name: 'elsewhere',
      content: { rules: [] },
      settings: settings(vm!.host.name),
    });
    await expect(
      call('subclient.update', { id: created.id, settings: settings('dr-site-host') }),
    ).rejects.toThrow(/No hypervisor "dr-site-host" is registered/);
  });

  it('fails with the reason when the copy cannot start, and still removes it', async () => {
    // The VM boots a kernel file of its host (direct kernel boot) that is not there: libvirt
    // defines the copy, QEMU cannot start it.
    const { uri } = vm!.host;
    const xml = await virsh(uri, 'dumpxml', '--inactive', VM_NAME);
    const file = join(dir, 'missing-kernel.xml');
    const kernel = `<kernel>${join(dir, 'no-such-vmlinuz')}</kernel>`;
    await writeFile(file, xml.replace(/(<type [^>]*>hvm<\/type>)/, `$1${kernel}`));
    await virsh(uri, 'define', file);
    expect(await virsh(uri, 'dumpxml', '--inactive', VM_NAME)).toContain('no-such-vmlinuz');
    const pointId = await backUp();
    const done = await engine.jobs.wait(
      (await call('restore.test', { vm: VM_NAME, pointId, hypervisorId, bootSeconds: 6 })).id,
    );
    expect(done.status).toBe('failed');
    expect(done.error?.message).toMatch(/^Recovery test failed: .*no-such-vmlinuz/s);
    expect(engine.jobs.log(done.id)).toMatch(/Undone: undefine .*-recovery-test-/);
    expect(await leftovers()).toEqual([]);
  });
});

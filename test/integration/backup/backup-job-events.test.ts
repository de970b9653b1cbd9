/**
 * What a backup job tells the console besides its progress (review 3): a VM cancelled under way
 * says who cancelled it, not the libvirt call or command that was cut short (M7); a backup that
 * detects the guest OS refreshes the inventory, which shows it (M6).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Channel, RequestOf } from '../../../shared/contract';
import { SubclientSettings } from '../../../shared/domain/backup-set';
import { createHandlers, type Handlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';
import { startBackupJob } from '../../../src-main/engine/jobs/backup-job';
import { apiCall } from '../../harness/api-calls';

const lab = inject('lab');
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;
let dir: string;
let engine: Engine;
let handlers: Handlers;
const call = <C extends Channel>(channel: C, request: RequestOf<C>) =>
  apiCall(handlers, channel, request);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hk-cancel-backup-'));
  engine = Engine.open({ home: join(dir, 'home'), mode: 'cli' });
  handlers = createHandlers(engine);
  await call('hypervisor.add', { name: host1.name, type: 'libvirt', uri: host1.uri });
  await call('repo.init', { location: join(dir, 'repo'), encrypt: false });
});

afterAll(async () => {
  await engine?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('what a backup job tells the console', () => {
  it('marks the VM cancelled by the administrator, whatever step it was in', async () => {
    const { vms } = await call('vm.list', {});
    const vm = vms.find((v) => v.name === 'lab-archive-01')!;
    // A pre-backup command still running when the administrator cancels.
    const settings = SubclientSettings.parse({ prePost: { preCommand: 'sleep 30' } });
    const job = startBackupJob(engine, 'Backup of lab-archive-01', [{ vm, settings }], false);
    // Bounded by the test's timeout: the VM's row says when the command runs.
    while (engine.jobs.get(job.id).tasks[0]?.phase !== 'pre-script')
      await new Promise((resolve) => setTimeout(resolve, 50));
    engine.jobs.cancel(job.id);
    const done = await engine.jobs.wait(job.id);
    expect(done.status).toBe('cancelled');
    expect(done.tasks[0]).toMatchObject({
      label: 'lab-archive-01',
      status: 'cancelled',
      message: 'Cancelled by the administrator.',
    });
    expect(await call('points.list', { vm: 'lab-archive-01' }).catch(() => [])).toEqual([]);
  });

  it('refreshes the inventory when a backup detects the guest OS, and only then', async () => {
    const changed: unknown[] = [];
    engine.events.onAny((event, payload) => {
      if (event === 'inventory.changed') changed.push(payload);
    });
    const backUp = async () => {
      const job = await call('backup.start', { vm: 'lab-archive-01' });
      const done = await engine.jobs.wait(job.id);
      expect(done.status).toBe('succeeded');
      // No subclient holds the VM on this console: said, not silently defaulted (review 3, M4).
      expect(engine.jobs.log(job.id)).toMatch(
        /lab-archive-01: no subclient holds this VM \(run Discover on its backup set to assign it\), so it was backed up with the default settings/,
      );
    };
    const hypervisorId = (await call('vm.list', {})).vms.find(
      (v) => v.name === 'lab-archive-01',
    )!.hypervisorId;
    await backUp();
    expect(changed).toEqual([{ hypervisorId }]);
    const vm = (await call('vm.list', {})).vms.find((v) => v.name === 'lab-archive-01')!;
    expect(vm.guestOs).toMatch(/Debian/);
    // The same OS again: nothing for the console to fetch.
    await backUp();
    expect(changed).toHaveLength(1);
  });
});

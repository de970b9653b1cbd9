import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SubclientSettings } from '../../../../shared/domain/backup-set';
import type { Job } from '../../../../shared/domain/jobs';
import type { VirtualMachine } from '../../../../shared/domain/vm';
import { Engine } from '../../../../src-main/engine/engine';
import { startBackupJob, WAITING_FOR_SLOT } from '../../../../src-main/engine/jobs/backup-job';

let engine: Engine | undefined;
let home = '';
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  rmSync(home, { recursive: true, force: true });
});

function vm(uuid: string, name: string, hypervisorId: string): VirtualMachine {
  return {
    uuid,
    name,
    hypervisorId,
    hypervisorName: 'gone',
    host: 'host-1',
    powerState: 'running',
    vcpus: 1,
    memoryBytes: 1 << 30,
    disks: [],
    nics: [],
    provisionedBytes: 0,
    metadata: {},
  };
}

describe('backup job', () => {
  it('lists every VM from the start, waiting for a free slot, so the job total stays unknown', async () => {
    home = mkdtempSync(join(tmpdir(), 'hk-backup-job-'));
    engine = Engine.open({ home, mode: 'serve' });
    // A hypervisor whose socket does not exist: each VM's backup fails at once, in turn.
    const hypervisor = engine.hypervisors.add({
      name: 'gone',
      type: 'libvirt',
      uri: 'qemu+unix:///session?socket=/nonexistent/sock',
    });
    const settings = SubclientSettings.parse({ maxBackupsPerHost: 1, dataReaders: 2 });
    const snapshots: Job[] = [];
    engine.events.onAny((event, payload) => {
      if (event === 'job.progress') snapshots.push((payload as { job: Job }).job);
    });
    const started = startBackupJob(
      engine,
      'Backup of two VMs on one host',
      [
        { vm: vm('u-web', 'lab-web-01', hypervisor.id), settings },
        { vm: vm('u-db', 'lab-db-01', hypervisor.id), settings },
      ],
      false,
    );
    const done = await engine.jobs.wait(started.id);

    // While lab-web-01 held the host's only slot, lab-db-01 was a row waiting for it, unsized.
    const whileWebRan = snapshots.find(
      (j) => j.tasks.length === 2 && j.tasks[0]!.status === 'running',
    );
    expect(whileWebRan?.tasks[1]).toMatchObject({
      label: 'lab-db-01',
      status: 'queued',
      phase: WAITING_FOR_SLOT,
      bytesTotal: 0,
    });
    expect(whileWebRan?.bytesTotal).toBe(0);
    // Each VM then ran and failed on its own, with the reason a person reads.
    expect(done.status).toBe('failed');
    expect(done.tasks.map((t) => [t.label, t.status])).toEqual([
      ['lab-web-01', 'failed'],
      ['lab-db-01', 'failed'],
    ]);
    expect(done.tasks[1]!.message).toBeTruthy();
    expect(engine.jobs.log(started.id)).toMatch(/lab-db-01: starting/);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SubclientSettings } from '../../../../shared/domain/backup-set';
import { Engine } from '../../../../src-main/engine/engine';
import { Scheduler } from '../../../../src-main/engine/jobs/scheduler';

let engine: Engine | undefined;
let scheduler: Scheduler | undefined;
let home = '';
afterEach(async () => {
  scheduler?.stop();
  await engine?.close();
  rmSync(home, { recursive: true, force: true });
});

/**
 * An engine with a backup set on a host that does not answer (the jobs fail at once, which is
 * all these tests need), its scheduler running, and what the scheduler logs.
 */
function scheduledEngine() {
  home = mkdtempSync(join(tmpdir(), 'hk-sched-'));
  const opened = Engine.open({ home, mode: 'serve' });
  engine = opened;
  const hypervisor = opened.hypervisors.add({
    name: 'gone',
    type: 'libvirt',
    uri: 'qemu+unix:///session?socket=/nonexistent/sock',
  });
  const set = opened.backupSets.create({ name: 'nightly', hypervisorIds: [hypervisor.id] });
  const logged: string[] = [];
  scheduler = new Scheduler(opened, (line) => logged.push(line));
  return { engine: opened, set, logged };
}

describe('scheduler', () => {
  it('starts the backup of a scheduled subclient when its cron fires, and follows schedule changes', async () => {
    const { engine, set, logged } = scheduledEngine();
    const settings = SubclientSettings.parse({
      schedule: { enabled: true, full: '* * * * * *', incremental: '0 0 1 1 *', timezone: 'UTC' },
    });
    const subclient = engine.backupSets.createSubclient({
      backupSetId: set.id,
      name: 'every-second',
      content: { rules: [{ type: 'name', pattern: 'x' }] },
      settings,
    });
    engine.events.emit('backupSets.changed', { backupSetId: set.id });
    await new Promise((r) => setTimeout(r, 2_500));
    const jobs = engine.jobs.list();
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    // Told apart from a manual backup, with the schedule that fired.
    expect(jobs[0]!.title).toBe('Scheduled full backup of nightly / every-second');
    expect(logged.some((l) => l.startsWith('scheduled full backup started'))).toBe(true);

    engine.backupSets.updateSubclient({
      id: subclient.id,
      settings: { ...settings, schedule: { ...settings.schedule, enabled: false } },
    });
    engine.events.emit('backupSets.changed', { backupSetId: set.id });
    await new Promise((r) => setTimeout(r, 300));
    const count = engine.jobs.list().length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(engine.jobs.list().length).toBe(count);
  });

  it('does not start runs outside the backup window, and says so without a failure', async () => {
    const { engine, set, logged } = scheduledEngine();
    // A window that opens in two minutes (UTC), so every run of this second is outside it.
    const utc = (minutes: number) =>
      new Date(Date.now() + minutes * 60_000).toISOString().slice(11, 16);
    engine.backupSets.createSubclient({
      backupSetId: set.id,
      name: 'night-only',
      content: { rules: [{ type: 'name', pattern: 'x' }] },
      settings: SubclientSettings.parse({
        schedule: {
          enabled: true,
          full: '* * * * * *',
          incremental: '* * * * * *',
          timezone: 'UTC',
        },
        activity: { window: { enabled: true, start: utc(2), end: utc(3) } },
      }),
    });
    engine.events.emit('backupSets.changed', { backupSetId: set.id });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(engine.jobs.list()).toEqual([]);
    expect(
      logged.some((l) => /^scheduled full backup not started: .*outside its backup window/.test(l)),
    ).toBe(true);
    expect(logged.some((l) => l.startsWith('scheduled backup could not start'))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import type { VmPointSummary } from '../../../../../shared/contract';
import type { Job, JobTask } from '../../../../../shared/domain/jobs';
import {
  backupOverview,
  filterByBackup,
  formatAge,
  lastBackupSortValue,
  lastBackupTime,
  lastBackupTooltip,
  latestBackupOutcomes,
  vmBackupStatus,
} from '../../../../../src-renderer/features/vms/backup-status';

const WEB = 'uuid-web';
const DB = 'uuid-db';

function task(key: string, label: string, status: JobTask['status'], message?: string): JobTask {
  return {
    key,
    label,
    status,
    phase: 'done',
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
    ...(message === undefined ? {} : { message }),
  };
}

function backupJob(
  id: string,
  finishedAt: string,
  tasks: JobTask[],
  extra: Partial<Job> = {},
): Job {
  const failed = tasks.filter((t) => t.status === 'failed').length;
  return {
    id,
    kind: 'backup',
    title: `Backup ${id}`,
    status: failed === 0 ? 'succeeded' : failed === tasks.length ? 'failed' : 'partial',
    createdAt: finishedAt,
    finishedAt,
    phase: 'done',
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
    tasks,
    warnings: [],
    ...extra,
  };
}

function summary(vmUuid: string, newestTime: string, points = 1): VmPointSummary {
  return { vmUuid, vmName: vmUuid, points, newestTime };
}

function statusOf(vmUuid: string, summaries: VmPointSummary[], jobs: Job[]) {
  return vmBackupStatus(
    summaries.find((s) => s.vmUuid === vmUuid),
    latestBackupOutcomes(jobs).get(vmUuid),
  );
}

describe('the "Last backup" status of a VM', () => {
  it('is Never without a point or a backup job, with no time to sort by', () => {
    const status = statusOf(WEB, [], []);
    expect(status).toMatchObject({ state: 'never', lastPointTime: null, points: 0 });
    expect(lastBackupSortValue(status)).toBe(-1);
  });

  it('is OK when the newest backup of the VM succeeded, with the newest point time', () => {
    const jobs = [backupJob('j1', '2026-03-01T10:05:00Z', [task(WEB, 'lab-web-01', 'succeeded')])];
    const status = statusOf(WEB, [summary(WEB, '2026-03-01T10:00:00Z', 3)], jobs);
    expect(status).toEqual({
      state: 'ok',
      lastPointTime: '2026-03-01T10:00:00Z',
      failedAt: null,
      points: 3,
      detail: null,
    });
    expect(lastBackupSortValue(status)).toBe(Date.parse('2026-03-01T10:00:00Z'));
  });

  it('is Failed when the newest backup failed, even though an older point exists', () => {
    const jobs = [
      backupJob('old', '2026-03-01T10:05:00Z', [task(WEB, 'lab-web-01', 'succeeded')]),
      backupJob('new', '2026-03-02T10:05:00Z', [
        task(WEB, 'lab-web-01', 'failed', 'Cannot connect to libvirt at /run/x.sock'),
      ]),
    ];
    const status = statusOf(WEB, [summary(WEB, '2026-03-01T10:00:00Z')], jobs);
    expect(status.state).toBe('failed');
    expect(status.lastPointTime).toBe('2026-03-01T10:00:00Z');
    expect(status.detail).toBe('Cannot connect to libvirt at /run/x.sock');
  });

  it('after a failure, dates the failure (not the last good point), which the tooltip names', () => {
    const jobs = [
      backupJob('new', '2026-03-02T10:05:00Z', [task(WEB, 'lab-web-01', 'failed', 'boom')], {
        startedAt: '2026-03-02T10:04:00Z',
      }),
    ];
    const status = statusOf(WEB, [summary(WEB, '2026-03-01T10:00:00Z')], jobs);
    // Review M3: "Failed · 9 min ago" was the age of the point of the day before.
    expect(lastBackupTime(status)).toBe('2026-03-02T10:05:00Z');
    expect(formatAge(lastBackupTime(status)!, Date.parse('2026-03-02T10:07:00Z'))).toBe(
      '2 min ago',
    );
    expect(lastBackupSortValue(status)).toBe(Date.parse('2026-03-02T10:05:00Z'));
    expect(lastBackupTooltip(status, (iso) => iso)).toBe(
      'Failed at 2026-03-02T10:05:00Z. Last good restore point: 2026-03-01T10:00:00Z.',
    );
    const never = statusOf(
      DB,
      [],
      [backupJob('db', '2026-03-02T10:05:00Z', [task(DB, 'db', 'failed')])],
    );
    expect(lastBackupTooltip(never, (iso) => iso)).toBe(
      'Failed at 2026-03-02T10:05:00Z. No restore point yet.',
    );
    const ok = statusOf(WEB, [summary(WEB, '2026-03-01T10:00:00Z')], []);
    expect(lastBackupTime(ok)).toBe('2026-03-01T10:00:00Z');
    expect(lastBackupTooltip(ok, (iso) => iso)).toBe('2026-03-01T10:00:00Z');
  });

  it('is OK again once a later backup succeeds after a failure, whatever the list order', () => {
    const jobs = [
      backupJob('new', '2026-03-03T10:05:00Z', [task(WEB, 'lab-web-01', 'succeeded')]),
      backupJob('mid', '2026-03-02T10:05:00Z', [task(WEB, 'lab-web-01', 'failed', 'boom')]),
    ];
    expect(statusOf(WEB, [summary(WEB, '2026-03-03T10:00:00Z')], jobs).state).toBe('ok');
  });

  it('is Warning when the VM succeeded with warnings of its own, not another VM’s', () => {
    const jobs = [
      backupJob(
        'j1',
        '2026-03-01T10:05:00Z',
        [task(WEB, 'lab-web-01', 'succeeded'), task(DB, 'lab-db-01', 'succeeded')],
        { warnings: ['lab-db-01: guest agent not answering: crash-consistent point'] },
      ),
    ];
    const summaries = [summary(WEB, '2026-03-01T10:00:00Z'), summary(DB, '2026-03-01T10:01:00Z')];
    expect(statusOf(WEB, summaries, jobs).state).toBe('ok');
    const db = statusOf(DB, summaries, jobs);
    expect(db.state).toBe('warning');
    expect(db.detail).toContain('guest agent not answering');
  });

  it('ignores cancelled and running backups: the run before them decides', () => {
    const jobs = [
      backupJob('old', '2026-03-01T10:05:00Z', [task(WEB, 'lab-web-01', 'failed', 'boom')]),
      backupJob('cancelled', '2026-03-02T10:05:00Z', [task(WEB, 'lab-web-01', 'cancelled')]),
      backupJob('running', '2026-03-03T10:05:00Z', [task(WEB, 'lab-web-01', 'running')]),
    ];
    expect(statusOf(WEB, [], jobs).state).toBe('failed');
  });

  it('is OK for a VM with points but no known job (attached repository, trimmed history)', () => {
    expect(statusOf(WEB, [summary(WEB, '2026-03-01T10:00:00Z')], []).state).toBe('ok');
  });

  it('ignores tasks of restore and verify jobs', () => {
    const restore = { ...backupJob('r', '2026-03-02T10:05:00Z', []), kind: 'restore' as const };
    restore.tasks = [task(WEB, 'lab-web-01', 'failed', 'disk full')];
    expect(statusOf(WEB, [summary(WEB, '2026-03-01T10:00:00Z')], [restore]).state).toBe('ok');
  });
});

describe('the dashboard backup overview', () => {
  const now = Date.parse('2026-03-02T12:00:00Z');
  const vms = [{ uuid: WEB }, { uuid: DB }, { uuid: 'uuid-archive' }];

  it('counts VMs with and without points, recent failed jobs and the newest point', () => {
    const summaries = [
      summary(WEB, '2026-03-02T09:00:00Z', 2),
      summary(DB, '2026-03-01T09:00:00Z'),
      // a VM no longer in the inventory still counts for "last successful backup"
      summary('uuid-gone', '2026-03-02T11:00:00Z'),
    ];
    const jobs = [
      backupJob('f1', '2026-03-02T08:00:00Z', [task(WEB, 'w', 'failed')]),
      backupJob('p1', '2026-03-02T07:00:00Z', [
        task(WEB, 'w', 'failed'),
        task(DB, 'd', 'succeeded'),
      ]),
      // more than a day ago
      backupJob('f0', '2026-03-01T11:59:00Z', [task(WEB, 'w', 'failed')]),
      backupJob('ok', '2026-03-02T09:00:00Z', [task(WEB, 'w', 'succeeded')]),
    ];
    expect(backupOverview(vms, summaries, jobs, now)).toEqual({
      protectedVms: 2,
      unprotectedVms: 1,
      failedJobsLastDay: 2,
      partialJobsLastDay: 1,
      lastSuccessTime: '2026-03-02T11:00:00Z',
    });
  });

  it('says nothing was ever backed up on a new console', () => {
    expect(backupOverview(vms, [], [], now)).toEqual({
      protectedVms: 0,
      unprotectedVms: 3,
      failedJobsLastDay: 0,
      partialJobsLastDay: 0,
      lastSuccessTime: null,
    });
  });

  it('filters the VM grid to the VMs with or without points', () => {
    const summaries = [summary(WEB, '2026-03-02T09:00:00Z')];
    expect(filterByBackup(vms, 'protected', summaries)).toEqual([{ uuid: WEB }]);
    expect(filterByBackup(vms, 'unprotected', summaries)).toEqual([
      { uuid: DB },
      { uuid: 'uuid-archive' },
    ]);
    expect(filterByBackup(vms, 'all', summaries)).toHaveLength(3);
  });
});

describe('formatAge', () => {
  const now = Date.parse('2026-03-02T12:00:00Z');
  it.each([
    ['2026-03-02T11:59:30Z', 'just now'],
    ['2026-03-02T12:00:30Z', 'just now'],
    ['2026-03-02T11:55:00Z', '5 min ago'],
    ['2026-03-02T10:00:00Z', '2 h ago'],
    ['2026-03-01T00:00:00Z', '36 h ago'],
    ['2026-02-27T12:00:00Z', '3 d ago'],
  ])('%s is %s', (iso, text) => {
    expect(formatAge(iso, now)).toBe(text);
  });
});

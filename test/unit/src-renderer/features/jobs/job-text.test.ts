import { describe, expect, it } from 'vitest';
import type { Job } from '../../../../../shared/domain/jobs';
import {
  backupSummaryFacts,
  backupVmsLine,
  durationSeconds,
  failureSummary,
  formatClock,
  formatLocalTime,
  formatRate,
  jobTitle,
  percentOf,
  resultRows,
  taskMessage,
  taskStatusLabel,
  unknownTotalNote,
  warningsPreview,
} from '../../../../../src-renderer/features/jobs/job-text';

function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 'j1',
    kind: 'backup',
    title: 'Backup of lab-web-01',
    status: 'running',
    createdAt: '2026-01-01T10:00:00.000Z',
    startedAt: '2026-01-01T10:00:00.000Z',
    phase: 'backing up',
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
    tasks: [],
    warnings: [],
    ...overrides,
  };
}

describe('job text', () => {
  it('shows ETA and durations as h:mm:ss, hours unbounded', () => {
    expect(formatClock(0)).toBe('0:00:00');
    expect(formatClock(61.4)).toBe('0:01:01');
    expect(formatClock(30 * 3600)).toBe('30:00:00');
    expect(formatClock(undefined)).toBe('—');
  });

  it('shows rates in the binary units of the sizes beside them, a dash when idle', () => {
    expect(formatRate(123_456_789)).toBe('118 MiB/s');
    expect(formatRate(1.5 * 1024 * 1024)).toBe('1.5 MiB/s');
    expect(formatRate(2 * 1024 ** 3)).toBe('2 GiB/s');
    expect(formatRate(512)).toBe('512 B/s');
    expect(formatRate(0)).toBe('—');
  });

  it('never shows 100 % before the last byte, nor a percentage without a total', () => {
    expect(percentOf(999, 1000)).toBe(99);
    expect(percentOf(1000, 1000)).toBe(100);
    expect(percentOf(5, 0)).toBeUndefined();
  });

  it('measures a running job to now and an ended one to its end', () => {
    const start = Date.parse('2026-01-01T10:00:00.000Z');
    expect(durationSeconds(job(), start + 90_000)).toBe(90);
    expect(durationSeconds(job({ finishedAt: '2026-01-01T10:00:05.000Z' }), start + 90_000)).toBe(
      5,
    );
  });

  it('explains a failure by the job error, else by the failed tasks', () => {
    expect(
      failureSummary(job({ error: { code: 'INTERNAL', message: 'repository damaged' } })),
    ).toBe('repository damaged');
    const task = {
      key: 'u1',
      label: 'lab-archive-01',
      phase: 'failed',
      bytesDone: 0,
      bytesTotal: 0,
      rate: 0,
    };
    const failed = job({
      status: 'failed',
      tasks: [
        { ...task, status: 'failed', message: 'libvirt refused the snapshot' },
        { ...task, key: 'u2', label: 'lab-web-01', status: 'succeeded', message: 'full point' },
      ],
    });
    expect(failureSummary(failed)).toBe('lab-archive-01: libvirt refused the snapshot');
    expect(failureSummary(job({ status: 'succeeded' }))).toBeUndefined();
  });

  it('lists a result with readable labels and sizes', () => {
    expect(
      resultRows({ ok: true, points: 3, bytesRead: 2048, removed: [], dest: '/tmp/a.raw' }),
    ).toEqual([
      ['Repository intact', 'yes'],
      ['Restore points', '3'],
      ['Bytes read', '2 KiB'],
      ['Points removed', 'none'],
      ['Written to', '/tmp/a.raw'],
    ]);
  });

  it('shows the first warnings of a job that succeeded with warnings, then how many more', () => {
    const warnings = ['lab-web-01: Volume vda was not indexed', 'b', 'c', 'd', 'e'];
    expect(warningsPreview(warnings)).toEqual({
      lines: ['lab-web-01: Volume vda was not indexed', 'b', 'c'],
      more: 'and 2 more warnings',
    });
    expect(warningsPreview(warnings.slice(0, 4)).more).toBe('and 1 more warning');
    expect(warningsPreview(['only'])).toEqual({ lines: ['only'], more: undefined });
    expect(warningsPreview([])).toEqual({ lines: [], more: undefined });
  });

  it('says which VMs are still starting while the job total is not known', () => {
    const task = {
      key: 'w',
      label: 'lab-win-01',
      status: 'running' as const,
      phase: 'starting',
      bytesDone: 0,
      bytesTotal: 0,
      rate: 0,
    };
    const done = { ...task, key: 'a', label: 'lab-web-01', status: 'succeeded' as const };
    const starting = job({ bytesDone: 100, bytesTotal: 0, tasks: [done, task] });
    expect(unknownTotalNote(starting)).toBe('lab-win-01 starting — total not known yet');
    expect(unknownTotalNote(job({ bytesTotal: 400, tasks: [done] }))).toBeUndefined();
    expect(unknownTotalNote({ ...starting, status: 'failed' })).toBeUndefined();
  });
});

describe('a backup job that waits for free slots, and what a finished one did', () => {
  const waitingTask = {
    key: 'win',
    label: 'lab-win-01',
    status: 'queued' as const,
    phase: 'waiting for a free slot',
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
  };

  it('names the VMs waiting for a free slot while the job total is not known', () => {
    const sized = { ...waitingTask, key: 'web', label: 'lab-web-01', status: 'running' as const };
    const running = job({
      bytesDone: 50,
      tasks: [{ ...sized, bytesDone: 50, bytesTotal: 100 }, waitingTask],
    });
    expect(unknownTotalNote(running)).toBe(
      'lab-win-01 waiting for a free slot — total not known yet',
    );
    const both = job({ tasks: [{ ...sized, phase: 'starting' }, waitingTask] });
    expect(unknownTotalNote(both)).toBe(
      'lab-web-01 starting, lab-win-01 waiting for a free slot — total not known yet',
    );
    expect(taskStatusLabel(waitingTask)).toBe('Waiting for a free slot');
    expect(taskStatusLabel({ status: 'running' })).toBe('Running');
  });

  it('shows the average rate over the data read, the new data stored and the dedup effect', () => {
    const finished = job({
      status: 'succeeded',
      startedAt: '2026-01-01T10:00:00.000Z',
      finishedAt: '2026-01-01T10:00:10.000Z',
      result: {
        points: ['p1'],
        readBytes: 600 * 1024 * 1024,
        newBytes: 150 * 1024 * 1024,
        storedBytes: 100 * 1024 * 1024,
      },
    });
    expect(backupSummaryFacts(finished, Date.now())).toEqual([
      ['Average rate', '60 MiB/s'],
      ['New data stored', '100 MiB (150 MiB before compression)'],
      ['Deduplicated', '450 MiB of 600 MiB read (75 %) already stored'],
    ]);
    // The sizes are facts now, not repeated as result rows.
    expect(resultRows(finished.result)).toEqual([['Restore points', 'p1']]);
    // Running jobs, other kinds, and old results without the sizes have no summary.
    expect(backupSummaryFacts({ ...finished, status: 'running' }, Date.now())).toEqual([]);
    expect(backupSummaryFacts({ ...finished, kind: 'verify' }, Date.now())).toEqual([]);
    expect(backupSummaryFacts({ ...finished, result: { points: ['p1'] } }, Date.now())).toEqual([]);
  });

  it('leaves the waits between automatic retries out of the average rate', () => {
    const retried = job({
      status: 'succeeded',
      startedAt: '2026-01-01T10:00:00.000Z',
      finishedAt: '2026-01-01T10:05:10.000Z',
      result: {
        points: ['p1'],
        readBytes: 600 * 1024 * 1024,
        newBytes: 600 * 1024 * 1024,
        storedBytes: 600 * 1024 * 1024,
        retryWaitSeconds: 300,
      },
    });
    expect(backupSummaryFacts(retried, Date.now())[0]).toEqual([
      'Average rate',
      '60 MiB/s (not counting 0:05:00 waiting to retry)',
    ]);
    expect(resultRows(retried.result)).toEqual([['Restore points', 'p1']]);
  });

  it('says when the retention started a prune after the backup, instead of listing job ids', () => {
    const finished = job({
      status: 'succeeded',
      startedAt: '2026-01-01T10:00:00.000Z',
      finishedAt: '2026-01-01T10:00:10.000Z',
      result: { points: ['p1'], readBytes: 0, newBytes: 0, storedBytes: 0, retentionJobs: ['j9'] },
    });
    expect(backupSummaryFacts(finished, Date.now()).at(-1)).toEqual([
      'Retention',
      'older restore points it no longer keeps are removed by a prune job (on the Jobs page)',
    ]);
    expect(resultRows(finished.result)).toEqual([['Restore points', 'p1']]);
  });
});

describe('times in job titles', () => {
  it('shows the instant a title embeds in local time, like the rest of the console', () => {
    const iso = '2026-11-23T00:45:21.063Z';
    const title = jobTitle(job({ title: `Restore lab-web-01 (${iso}) as copy to lab-host-1` }));
    expect(title).toBe(`Restore lab-web-01 (${formatLocalTime(iso)}) as copy to lab-host-1`);
    expect(title).not.toContain('T00:45');
  });

  it('converts instants with an offset and leaves other numbers alone', () => {
    const title = jobTitle(
      job({ title: 'Restore web in place on h1 from 2026-11-23T01:45:21+01:00, 2 disks' }),
    );
    expect(title).toBe(
      `Restore web in place on h1 from ${formatLocalTime('2026-11-23T00:45:21Z')}, 2 disks`,
    );
    expect(jobTitle(job({ title: 'Backup of lab-set / web (2026-11-23)' }))).toBe(
      'Backup of lab-set / web (2026-11-23)',
    );
  });
});

describe('the VMs line of a job row', () => {
  const vm = (label: string): Job['tasks'][number] => ({
    key: label,
    label,
    status: 'succeeded',
    phase: 'succeeded',
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
  });

  it('names the VMs a subclient backup covers, the first three and how many more', () => {
    const title = 'Backup of lab-set / web';
    expect(backupVmsLine(job({ title, tasks: [vm('lab-web-01')] }))).toBe('lab-web-01');
    const five = ['a', 'b', 'c', 'd', 'e'].map(vm);
    expect(backupVmsLine(job({ title, tasks: five }))).toBe('a, b, c and 2 more');
  });

  it('adds nothing the title already says, nor for jobs that are not backups', () => {
    expect(backupVmsLine(job({ tasks: [vm('lab-web-01')] }))).toBeUndefined();
    expect(backupVmsLine(job({ title: 'Backup of lab-set / web' }))).toBeUndefined();
    const verify = job({ kind: 'verify', title: 'Verify default', tasks: [vm('repository')] });
    expect(backupVmsLine(verify)).toBeUndefined();
  });
});

describe('a backup VM waiting for its automatic retry', () => {
  const retrying = {
    key: 'web',
    label: 'lab-web-01',
    status: 'queued' as const,
    phase: 'retry 1 of 2 at 2026-11-24T22:05:10Z',
    message: 'Attempt 1 failed: first attempt refused',
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
  };

  it('says it waits to retry, why the last attempt failed and when the next starts', () => {
    // The engine gives an instant; the row shows it on the console's clock (Berlin, UTC+1).
    process.env['TZ'] = 'Europe/Berlin';
    expect(taskStatusLabel(retrying)).toBe('Waiting to retry');
    // 23:05:10 on a 24-hour clock, 11:05:10 PM on a 12-hour one: the locale's choice.
    expect(taskMessage(retrying)).toMatch(
      /^Attempt 1 failed: first attempt refused — retry 1 of 2 at (23:05:10|11:05:10\sPM)$/,
    );
    expect(unknownTotalNote(job({ tasks: [retrying] }))).toBe(
      'lab-web-01 waiting to retry — total not known yet',
    );
  });

  it('keeps the other rows as they were: waiting for a slot, running, ended', () => {
    const { message: _none, ...slot } = { ...retrying, phase: 'waiting for a free slot' };
    expect(taskStatusLabel(slot)).toBe('Waiting for a free slot');
    expect(taskMessage(slot)).toBe('—');
    const running = { ...retrying, status: 'running' as const, phase: 'reading vda' };
    expect(taskMessage(running)).toBe('reading vda');
    const failed = { ...retrying, status: 'failed' as const, message: 'pre-backup command failed' };
    expect(taskMessage(failed)).toBe('pre-backup command failed');
  });
});

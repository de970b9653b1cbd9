import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../../../../shared/domain/jobs';
import {
  NO_JOB_FILTERS,
  dayFilterText,
  dayListSince,
  filterJobs,
  isFiltered,
  jobCountText,
  dayListUntil,
} from '../../../../../src-renderer/features/jobs/job-filters';

type Row = Pick<
  Job,
  'status' | 'kind' | 'title' | 'tasks' | 'createdAt' | 'startedAt' | 'finishedAt'
>;

function row(
  title: string,
  kind: Job['kind'],
  status: Job['status'],
  vms: string[] = [],
  times: Pick<Job, 'createdAt' | 'startedAt' | 'finishedAt'> = {
    createdAt: '2026-11-23T09:00:00.000Z',
  },
): Row {
  const tasks = vms.map((label) => ({
    key: label,
    label,
    status,
    phase: status,
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
  }));
  return { title, kind, status, tasks, ...times };
}

const JOBS: Row[] = [
  row('Backup of lab-set / web', 'backup', 'partial', ['lab-web-01', 'lab-web-02']),
  row('Backup of lab-db-01', 'backup', 'succeeded', ['lab-db-01']),
  row('Backup of lab-archive-01', 'backup', 'running', ['lab-archive-01']),
  row('Verify default', 'verify', 'queued'),
  row('Verify gone', 'verify', 'failed'),
  row(
    'Delete restore point 2026-11-23T10:00:00.000Z of lab-web-01 from default',
    'delete',
    'cancelled',
  ),
];

const titles = (rows: Row[]) => rows.map((r) => r.title);

describe('filterJobs', () => {
  it('shows every job without filters', () => {
    expect(filterJobs(JOBS, NO_JOB_FILTERS)).toEqual(JOBS);
    expect(isFiltered(NO_JOB_FILTERS)).toBe(false);
  });

  it('"Running" holds the queued jobs, "Failed" the partial ones', () => {
    expect(titles(filterJobs(JOBS, { ...NO_JOB_FILTERS, status: 'active' }))).toEqual([
      'Backup of lab-archive-01',
      'Verify default',
    ]);
    expect(titles(filterJobs(JOBS, { ...NO_JOB_FILTERS, status: 'failed' }))).toEqual([
      'Backup of lab-set / web',
      'Verify gone',
    ]);
    expect(titles(filterJobs(JOBS, { ...NO_JOB_FILTERS, status: 'succeeded' }))).toEqual([
      'Backup of lab-db-01',
    ]);
  });

  it('finds a VM of a subclient backup by its task, in any case, with the kind', () => {
    const filters = { status: 'all', kind: 'backup', text: '  LAB-WEB-02 ', day: null } as const;
    expect(titles(filterJobs(JOBS, filters))).toEqual(['Backup of lab-set / web']);
    expect(isFiltered(filters)).toBe(true);
    expect(filterJobs(JOBS, { ...filters, kind: 'verify' })).toEqual([]);
  });

  it('matches the title as the page shows it: a time in local time, not ISO', () => {
    const shown = new Date('2026-11-23T10:00:00.000Z').toLocaleString();
    expect(filterJobs(JOBS, { ...NO_JOB_FILTERS, text: shown })).toHaveLength(1);
  });
});

/** A job of `kind` ended (or started, or queued only) at these local times. */
function timed(
  title: string,
  kind: Job['kind'],
  status: Job['status'],
  times: { created: Date; started?: Date; finished?: Date },
): Row {
  return row(title, kind, status, [], {
    createdAt: times.created.toISOString(),
    ...(times.started && { startedAt: times.started.toISOString() }),
    ...(times.finished && { finishedAt: times.finished.toISOString() }),
  });
}

describe('the day filter (a bar of the dashboard)', () => {
  const zone = process.env['TZ'];
  afterEach(() => {
    if (zone === undefined) delete process.env['TZ'];
    else process.env['TZ'] = zone;
  });

  /** Titles of the jobs of the local day of `year, month, date`. */
  const ofDay = (jobs: Row[], year: number, month: number, date: number) =>
    titles(filterJobs(jobs, { ...NO_JOB_FILTERS, day: new Date(year, month, date).getTime() }));

  it('puts a job on the day it ended, as the chart counts it; a running one on its start', () => {
    process.env['TZ'] = 'America/New_York';
    const jobs = [
      timed('nightly past midnight', 'backup', 'failed', {
        created: new Date(2026, 10, 19, 23, 0),
        started: new Date(2026, 10, 19, 23, 0),
        finished: new Date(2026, 10, 20, 1, 30),
      }),
      timed('evening', 'backup', 'succeeded', {
        created: new Date(2026, 10, 20, 22, 0),
        started: new Date(2026, 10, 20, 22, 1),
        finished: new Date(2026, 10, 20, 23, 59),
      }),
      timed('running', 'backup', 'running', {
        created: new Date(2026, 10, 20, 8, 0),
        started: new Date(2026, 10, 20, 8, 1),
      }),
      timed('queued', 'verify', 'queued', { created: new Date(2026, 10, 21, 0, 0) }),
    ];
    expect(ofDay(jobs, 2026, 10, 19)).toEqual([]);
    expect(ofDay(jobs, 2026, 10, 20)).toEqual(['nightly past midnight', 'evening', 'running']);
    expect(ofDay(jobs, 2026, 10, 21)).toEqual(['queued']);
    // With the kind the dashboard sets: the day's backups only.
    const day = new Date(2026, 10, 21).getTime();
    expect(filterJobs(jobs, { ...NO_JOB_FILTERS, kind: 'backup', day })).toEqual([]);
    expect(isFiltered({ ...NO_JOB_FILTERS, day })).toBe(true);
  });

  it('a day is a local calendar day, 25 or 23 hours over a daylight-saving change (Berlin)', () => {
    process.env['TZ'] = 'Europe/Berlin';
    const at = (month: number, date: number, hours: number, minutes = 0) =>
      timed(`${month + 1}/${date} ${hours}:${minutes}`, 'backup', 'succeeded', {
        created: new Date(2026, month, date, hours, minutes),
        finished: new Date(2026, month, date, hours, minutes),
      });
    // Oct 25 2026 has 25 hours: 23:30 is 24.5 h after its midnight, still the same day.
    const autumn = [at(9, 24, 23, 50), at(9, 25, 0, 30), at(9, 25, 23, 30), at(9, 26, 0, 10)];
    expect(ofDay(autumn, 2026, 9, 25)).toEqual(['10/25 0:30', '10/25 23:30']);
    // Mar 29 2026 has 23 hours: 00:10 on Mar 30 is only 23 h 10 min after its midnight.
    const spring = [at(2, 29, 1, 0), at(2, 29, 23, 50), at(2, 30, 0, 10)];
    expect(ofDay(spring, 2026, 2, 29)).toEqual(['3/29 1:0', '3/29 23:50']);
    expect(ofDay(spring, 2026, 2, 30)).toEqual(['3/30 0:10']);
  });

  it('the jobs of a day are listed from the midnight before it: a nightly job spans it', () => {
    process.env['TZ'] = 'Europe/Berlin';
    const oct26 = new Date(2026, 9, 26).getTime();
    // The day before is 25 hours long: not 24 h back.
    expect(dayListSince(oct26)).toBe(new Date(2026, 9, 25).getTime());
    expect(oct26 - dayListSince(oct26)).toBe(25 * 3600_000);
    // …and up to the midnight that ends it, 25 hours later too on the day summer time ends.
    const oct25 = new Date(2026, 9, 25).getTime();
    expect(dayListUntil(oct25)).toBe(oct26);
    expect(dayListUntil(oct25) - oct25).toBe(25 * 3600_000);
  });

  it('the chip names the day', () => {
    expect(dayFilterText(new Date(2026, 10, 20).getTime())).toBe('Day: Nov 20');
  });
});

describe('jobCountText', () => {
  it('says how many a filter hides', () => {
    expect(jobCountText(7, 7, false)).toBe('7 jobs');
    expect(jobCountText(1, 1, false)).toBe('1 job');
    expect(jobCountText(2, 7, true)).toBe('2 of 7 jobs');
  });
});

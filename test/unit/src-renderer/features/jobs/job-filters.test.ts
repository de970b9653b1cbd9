import { describe, expect, it } from 'vitest';
import type { Job } from '../../../../../shared/domain/jobs';
import {
  NO_JOB_FILTERS,
  filterJobs,
  isFiltered,
  jobCountText,
} from '../../../../../src-renderer/features/jobs/job-filters';

type Row = Pick<Job, 'status' | 'kind' | 'title' | 'tasks'>;

function row(title: string, kind: Job['kind'], status: Job['status'], vms: string[] = []): Row {
  const tasks = vms.map((label) => ({
    key: label,
    label,
    status,
    phase: status,
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
  }));
  return { title, kind, status, tasks };
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
    const filters = { status: 'all', kind: 'backup', text: '  LAB-WEB-02 ' } as const;
    expect(titles(filterJobs(JOBS, filters))).toEqual(['Backup of lab-set / web']);
    expect(isFiltered(filters)).toBe(true);
    expect(filterJobs(JOBS, { ...filters, kind: 'verify' })).toEqual([]);
  });

  it('matches the title as the page shows it: a time in local time, not ISO', () => {
    const shown = new Date('2026-11-23T10:00:00.000Z').toLocaleString();
    expect(filterJobs(JOBS, { ...NO_JOB_FILTERS, text: shown })).toHaveLength(1);
  });
});

describe('jobCountText', () => {
  it('says how many a filter hides', () => {
    expect(jobCountText(7, 7, false)).toBe('7 jobs');
    expect(jobCountText(1, 1, false)).toBe('1 job');
    expect(jobCountText(2, 7, true)).toBe('2 of 7 jobs');
  });
});

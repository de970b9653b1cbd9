import { create } from 'zustand';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../../../shared/domain/jobs';
import {
  canRetryFailedVms,
  createJobsSlice,
  sortJobs,
  type JobsSlice,
} from '../../../../src-renderer/store/jobs-slice';
import { NO_JOB_FILTERS } from '../../../../src-renderer/features/jobs/job-filters';
import type { StoreState } from '../../../../src-renderer/store/types';

function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 'j1',
    kind: 'verify',
    title: 'Verify default',
    status: 'running',
    createdAt: '2026-01-01T10:00:00.000Z',
    phase: 'checking',
    bytesDone: 0,
    bytesTotal: 100,
    rate: 0,
    tasks: [],
    warnings: [],
    ...overrides,
  };
}

// The jobs slice alone: the other slices are not involved in merging snapshots.
function jobsStore() {
  return create<StoreState>()((...args) => createJobsSlice(...args) as unknown as StoreState);
}

describe('jobs slice', () => {
  it('keeps the newest snapshot when events and list answers cross', () => {
    const store = jobsStore();
    const state = (): JobsSlice => store.getState();
    state().jobUpdated(job({ bytesDone: 50 }));
    state().jobUpdated(job({ bytesDone: 20 })); // a late, older progress snapshot
    expect(state().jobsById['j1']!.bytesDone).toBe(50);

    state().jobUpdated(
      job({ status: 'succeeded', bytesDone: 100, finishedAt: '2026-01-01T10:01:00.000Z' }),
    );
    state().jobUpdated(job({ bytesDone: 90 })); // still "running" in a stale list answer
    expect(state().jobsById['j1']!.status).toBe('succeeded');
  });

  it('lists jobs newest first', () => {
    const older = job({ id: 'a', createdAt: '2026-01-01T09:00:00.000Z' });
    const newer = job({ id: 'b', createdAt: '2026-01-01T11:00:00.000Z' });
    expect(sortJobs([older, newer]).map((j) => j.id)).toEqual(['b', 'a']);
  });

  it('offers "Retry failed VMs" only on an ended backup job with a VM it did not back up', () => {
    const vm = (status: Job['status']) => ({
      key: status,
      label: `lab-${status}`,
      status,
      phase: status,
      bytesDone: 0,
      bytesTotal: 0,
      rate: 0,
    });
    const backup = (status: Job['status'], tasks: Job['tasks']) =>
      job({ kind: 'backup', title: 'Backup of lab-set / web', status, tasks });
    expect(canRetryFailedVms(backup('partial', [vm('succeeded'), vm('failed')]))).toBe(true);
    expect(canRetryFailedVms(backup('cancelled', [vm('cancelled')]))).toBe(true);
    expect(canRetryFailedVms(backup('succeeded', [vm('succeeded')]))).toBe(false);
    // Still running: its VMs may yet be backed up (or retried on their own).
    expect(canRetryFailedVms(backup('running', [vm('failed'), vm('running')]))).toBe(false);
    // Failed before any VM had a row: nothing to retry, the backup is started again.
    expect(canRetryFailedVms(backup('failed', []))).toBe(false);
    expect(canRetryFailedVms(job({ status: 'failed', tasks: [vm('failed')] }))).toBe(false);
  });

  it('opens the Jobs page once with filters another page asks for, without the job picked before', () => {
    const routes: string[] = [];
    const store = create<StoreState>()(
      (...args) =>
        ({
          ...createJobsSlice(...args),
          navigate: (route: string) => routes.push(route),
        }) as unknown as StoreState,
    );
    const state = (): JobsSlice => store.getState();
    state().selectJob('j1');
    const filters = { ...NO_JOB_FILTERS, kind: 'backup' as const, day: Date.UTC(2026, 10, 20) };
    state().showJobs(filters);
    expect(routes).toEqual(['jobs']);
    expect(state().requestedJobFilters).toEqual(filters);
    expect(state().selectedJobId).toBeNull();
    state().requestedJobFiltersTaken();
    expect(state().requestedJobFilters).toBeNull();
  });
});

import { useEffect, useMemo, useState } from 'react';
import { useStore } from '../../store';
import { latestBackupOutcomes, vmBackupStatus, type VmBackupStatus } from './backup-status';

/**
 * Loads what the backup status is made of (point summaries, job history) the first time a page
 * needs it; the store's event subscriptions keep both current afterwards.
 */
export function useBackupStatusData() {
  const summaries = useStore((s) => s.pointSummaries);
  const summariesStatus = useStore((s) => s.pointSummariesStatus);
  const loadPointSummaries = useStore((s) => s.loadPointSummaries);
  const jobsById = useStore((s) => s.jobsById);
  const jobsStatus = useStore((s) => s.jobsStatus);
  const loadJobs = useStore((s) => s.loadJobs);
  useEffect(() => {
    if (summariesStatus === 'idle') void loadPointSummaries();
    if (jobsStatus === 'idle') void loadJobs();
  }, [summariesStatus, jobsStatus, loadPointSummaries, loadJobs]);
  const jobs = useMemo(() => Object.values(jobsById), [jobsById]);
  return { summaries, summariesStatus, jobs, jobsStatus };
}

/** The "Last backup" status of every VM with points or backup jobs, by VM UUID. */
export function useVmBackupStatuses(): Map<string, VmBackupStatus> {
  const { summaries, jobs } = useBackupStatusData();
  return useMemo(() => {
    const outcomes = latestBackupOutcomes(jobs);
    const byVm = new Map(summaries.map((s) => [s.vmUuid, s]));
    const statuses = new Map<string, VmBackupStatus>();
    for (const uuid of new Set([...byVm.keys(), ...outcomes.keys()]))
      statuses.set(uuid, vmBackupStatus(byVm.get(uuid), outcomes.get(uuid)));
    return statuses;
  }, [summaries, jobs]);
}

const NEVER: VmBackupStatus = {
  state: 'never',
  lastPointTime: null,
  failedAt: null,
  points: 0,
  detail: null,
};

export function statusOf(statuses: Map<string, VmBackupStatus>, vmUuid: string): VmBackupStatus {
  return statuses.get(vmUuid) ?? NEVER;
}

/** The current time, moved on every minute so "5 min ago" does not go stale on screen. */
export function useNow(intervalMs = 60_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

import { useMemo } from 'react';
import type { Job } from '../../../shared/domain/jobs';
import type { ApiError } from '../../api/api-error';
import { isActive } from '../../store/jobs-slice';
import { useEngineQuery } from '../restore/use-engine-query';
import { useBackupStatusData } from '../vms/use-backup-status';
import { backupHistory, HISTORY_DAYS, type BackupHistory } from './backup-history';

/**
 * The most the engine lists at once. The store keeps only the newest jobs (enough for the Jobs
 * page), which a busy console with prunes and verifies runs through in a day or two.
 */
export const HISTORY_JOB_LIMIT = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Backup jobs begun in the chart's days, with one day to spare (a job is charted on the day it
 * ended); keyed by the day, so the request stays the same while the page is shown.
 */
function historyRequest(now: number) {
  const today = new Date(now);
  today.setHours(0, 0, 0, 0);
  const since = new Date(today.getTime() - HISTORY_DAYS * DAY_MS).toISOString();
  return { limit: HISTORY_JOB_LIMIT, kind: 'backup' as const, since };
}

export interface BackupHistoryState {
  history: BackupHistory | null;
  loading: boolean;
  error: ApiError | null;
}

/**
 * The dashboard's 14 days of backup jobs: read once per visit with the engine's largest list,
 * merged with the store's jobs, which job events keep current (a job that ends while the page is
 * shown moves its bar without a reload).
 */
export function useBackupHistory(now: number): BackupHistoryState {
  const request = useMemo(() => historyRequest(now), [now]);
  const query = useEngineQuery('job.list', request);
  const { jobs: liveJobs } = useBackupStatusData();
  const listed = query.data;
  const history = useMemo(() => {
    if (listed === undefined) return null;
    const byId = new Map<string, Job>(listed.map((job) => [job.id, job]));
    // The store's snapshot is the newer one (events), unless it missed the end of the job.
    for (const job of liveJobs) {
      const read = byId.get(job.id);
      if (read === undefined || !isActive(job) || isActive(read)) byId.set(job.id, job);
    }
    // A list cut at its limit may leave older jobs out: the days before its oldest job say so.
    const oldest = listed[listed.length - 1];
    const listedSince =
      listed.length >= HISTORY_JOB_LIMIT && oldest !== undefined
        ? Date.parse(oldest.createdAt)
        : null;
    return backupHistory(byId.values(), now, listedSince);
  }, [listed, liveJobs, now]);
  return { history, loading: query.loading, error: query.error };
}

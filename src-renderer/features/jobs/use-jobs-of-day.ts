import { useEffect } from 'react';
import { useStore } from '../../store';
import type { DayJobsState } from '../../store/jobs-slice';

/**
 * Makes sure the jobs of the day filter's day are there: the Jobs page reads only the newest
 * jobs, which a busy console runs through in a day or two, so a bar of the dashboard's older
 * days would open an empty list. The day's backup jobs are read once per day chosen (Refresh or
 * Retry read them again). Returns that read's state, or null without a day filter.
 */
export function useJobsOfDay(day: number | null): DayJobsState | null {
  const dayJobs = useStore((s) => s.dayJobs);
  const loadBackupJobsOfDay = useStore((s) => s.loadBackupJobsOfDay);
  const readForDay = dayJobs !== null && dayJobs.day === day;

  useEffect(() => {
    // A failed read is not tried again by itself: its error and a Retry are shown instead.
    if (day !== null && !readForDay) void loadBackupJobsOfDay(day);
  }, [readForDay, day, loadBackupJobsOfDay]);

  return readForDay ? dayJobs : null;
}

import { z } from 'zod';

/**
 * When a repository checks itself unattended (PBS's verify jobs, Veeam's health check): a cron
 * expression in a time zone, metadata only or every chunk re-read. Off by default.
 */
export const VerifySchedule = z.object({
  enabled: z.boolean(),
  /** cron expression (5 or 6 fields), as the subclient schedules */
  cron: z.string().trim().min(1).max(100),
  timezone: z.string().trim().min(1).max(100),
  /** re-read and re-hash every chunk (reads the whole repository) */
  readData: z.boolean(),
});
export type VerifySchedule = z.infer<typeof VerifySchedule>;

export const DEFAULT_VERIFY_SCHEDULE: VerifySchedule = {
  enabled: false,
  // Sundays at 03:00: after the nightly backups, before the week's first.
  cron: '0 3 * * 0',
  timezone: 'UTC',
  readData: true,
};

/** A repository's schedule with its next runs (none while it is off). */
export const VerifyScheduleView = VerifySchedule.extend({
  repository: z.string(),
  nextRuns: z.array(z.string()),
});
export type VerifyScheduleView = z.infer<typeof VerifyScheduleView>;

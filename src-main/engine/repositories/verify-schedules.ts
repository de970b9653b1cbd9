import {
  DEFAULT_VERIFY_SCHEDULE,
  VerifySchedule,
  type VerifyScheduleView,
} from '../../../shared/domain/verify-schedule';
import { HyperkeepError } from '../../../shared/errors';
import { nextRuns } from '../backup-sets/schedule';
import type { CatalogDb } from '../catalog/catalog';

/** Each repository's verification schedule, kept next to its registration (gone with it). */
export class VerifySchedules {
  constructor(private readonly db: CatalogDb) {}

  get(repository: string): VerifyScheduleView {
    const row = this.db
      .prepare('SELECT name, verify_schedule FROM repositories WHERE name = ?')
      .get(repository) as { name: string; verify_schedule: string | null } | undefined;
    if (!row)
      throw new HyperkeepError('NOT_FOUND', `No repository named "${repository}" is registered.`);
    const parsed = VerifySchedule.safeParse(
      row.verify_schedule === null ? null : JSON.parse(row.verify_schedule),
    );
    const schedule = parsed.success ? parsed.data : DEFAULT_VERIFY_SCHEDULE;
    return {
      ...schedule,
      repository: row.name,
      nextRuns: schedule.enabled ? nextRuns(schedule.cron, schedule.timezone, 3, 'cron') : [],
    };
  }

  /** Saves a schedule after checking its expression and time zone (errors name the field). */
  set(repository: string, schedule: VerifySchedule): VerifyScheduleView {
    this.get(repository); // registered?
    nextRuns(schedule.cron, schedule.timezone, 1, 'cron', 'timezone');
    this.db
      .prepare('UPDATE repositories SET verify_schedule = ? WHERE name = ?')
      .run(JSON.stringify(VerifySchedule.parse(schedule)), repository);
    return this.get(repository);
  }

  /**
   * The enabled schedules, for the engine's scheduler. One that no longer computes (a time zone
   * the system stopped knowing) is reported through `skip` and left out, not fatal to the rest.
   */
  enabled(skip: (repository: string, why: string) => void = () => undefined): VerifyScheduleView[] {
    const names = this.db
      .prepare('SELECT name FROM repositories WHERE verify_schedule IS NOT NULL')
      .pluck()
      .all() as string[];
    return names.flatMap((name) => {
      try {
        const schedule = this.get(name);
        return schedule.enabled ? [schedule] : [];
      } catch (err) {
        skip(name, (err as Error).message);
        return [];
      }
    });
  }
}

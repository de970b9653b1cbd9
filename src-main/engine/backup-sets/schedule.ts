import { Cron } from 'croner';
import { HyperkeepError } from '../../../shared/errors';

/** Next run times of a cron expression in a time zone; a bad expression or zone is a clear error. */
export function nextRuns(
  expression: string,
  timezone: string,
  count: number,
  field = 'schedule',
  timezoneField = `${field}.timezone`,
): string[] {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Unknown time zone "${timezone}" (use an IANA name such as Europe/Berlin or UTC).`,
      { field: timezoneField },
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone, paused: true });
  } catch (err) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Invalid schedule "${expression}": ${(err as Error).message}`,
      { field },
    );
  }
  return cron.nextRuns(count).map((d) => d.toISOString());
}

import { TIME_OF_DAY, type SubclientSettings } from '../../../../shared/domain/backup-set';

export type BackupWindow = SubclientSettings['activity']['window'];

/**
 * A time as typed ("5:00", "0500", "21.30", "7") in the "HH:MM" the engine takes, so that a
 * leaving field shows what will be saved; anything it cannot read stays as typed, for Save to
 * refuse with the engine's message.
 */
export function normalizeTimeOfDay(typed: string): string {
  const text = typed.trim();
  const match = /^(\d{1,2})(?:[:.h]?(\d{2}))?$/.exec(text);
  if (match === null) return text;
  const hours = Number(match[1]);
  const minutes = Number(match[2] ?? '0');
  if (hours > 23 || minutes > 59) return text;
  return `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

/** "to 06:00 the next morning": where the window closes, said from where it opens. */
function closing(start: string, end: string): string {
  if (end === '00:00') return 'to midnight';
  if (end > start) return `to ${end}`;
  // Closes on the clock before it opens: the window runs over midnight into the next day.
  return end < '12:00' ? `to ${end} the next morning` : `to ${end} the next day`;
}

/**
 * In words, what the backup window does with these values: when scheduled backups may start,
 * when one is stopped, and that backups started by hand are not held to it.
 */
export function backupWindowText(
  window: BackupWindow,
  timezone: string,
  scheduleEnabled: boolean,
): string {
  if (!window.enabled)
    return 'Off: scheduled backups start whenever the schedule says and run until they finish.';
  if (!TIME_OF_DAY.test(window.start) || !TIME_OF_DAY.test(window.end))
    return 'Enter when the window opens and closes as HH:MM on the 24-hour clock, e.g. 20:00 and 06:00.';
  if (window.start === window.end) return 'The window must close at another time than it opens.';
  const text =
    `Scheduled backups start only from ${window.start} ${closing(window.start, window.end)} ` +
    `(${timezone}); one still running at ${window.end === '00:00' ? 'midnight' : window.end} ` +
    'is stopped. Backups started by hand run at any time.';
  return scheduleEnabled
    ? text
    : `${text} Scheduled backups are off on the Schedule tab: the window applies once they are on.`;
}

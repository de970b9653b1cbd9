import { Cron } from 'croner';
import type { SubclientSettings } from '../../../shared/domain/backup-set';

export type BackupWindow = SubclientSettings['activity']['window'];

export interface WindowState {
  open: boolean;
  /** The next time the window opens (after `now`). */
  opensAt: Date;
  /** The next time the window closes (after `now`). */
  closesAt: Date;
}

/** A daily time of day ("20:00") as a cron expression ("0 20 * * *"). */
export function dailyCron(time: string): string {
  const [hours, minutes] = time.split(':').map(Number);
  return `${minutes} ${hours} * * *`;
}

function daily(time: string, timezone: string): Cron {
  return new Cron(dailyCron(time), { timezone, paused: true });
}

/**
 * Whether `now` lies in the daily window from `start` to `end` (crossing midnight when end comes
 * first, as 20:00–06:00 does). It is open exactly when it closes before it opens again, which
 * holds across midnight and daylight-saving changes alike, since croner walks the zone's clock.
 */
export function windowState(window: BackupWindow, timezone: string, now = new Date()): WindowState {
  const opensAt = daily(window.start, timezone).nextRun(now)!;
  const closesAt = daily(window.end, timezone).nextRun(now)!;
  return { open: closesAt.getTime() < opensAt.getTime(), opensAt, closesAt };
}

export function describeWindow(window: BackupWindow, timezone: string): string {
  return `${window.start}–${window.end} (${timezone})`;
}

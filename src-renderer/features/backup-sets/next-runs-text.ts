import type { Subclient } from '../../../shared/domain/backup-set';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A run time as short as it can be read without ambiguity: "today 3:52 AM", "Sun 1:00 AM"
 * within the coming week, else the date as well.
 */
export function runTimeLabel(epochMs: number, nowMs = Date.now()): string {
  const at = new Date(epochMs);
  const time = at.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
  if (at.toDateString() === new Date(nowMs).toDateString()) return `today ${time}`;
  if (epochMs - nowMs < 6 * DAY_MS) {
    return `${at.toLocaleDateString(undefined, { weekday: 'short' })} ${time}`;
  }
  return at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * The Schedule column: the next run of each kind that is scheduled, soonest first, so an
 * incremental every few minutes is not hidden behind next Sunday's full (review M1).
 */
export function nextRunsText(subclient: Subclient, nowMs = Date.now()): string {
  if (!subclient.settings.schedule.enabled) return 'Not scheduled';
  const runs = [
    { label: 'Incremental', iso: subclient.nextIncremental },
    { label: 'Full', iso: subclient.nextFull },
  ]
    .map(({ label, iso }) => ({ label, time: iso === undefined ? NaN : Date.parse(iso) }))
    .filter(({ time }) => Number.isFinite(time))
    .sort((a, b) => a.time - b.time);
  if (runs.length === 0) return 'Scheduled, no upcoming run';
  return runs.map(({ label, time }) => `${label} ${runTimeLabel(time, nowMs)}`).join(' · ');
}

import type { Job } from '../../../shared/domain/jobs';
import { jobDayTime } from '../jobs/job-filters';

/** How an ended backup job went; a success with warnings is told apart from a clean one. */
export type BackupOutcome = 'succeeded' | 'warnings' | 'partial' | 'failed' | 'cancelled';

/** Bottom to top in a day's bar, and the legend's order: from fine to not done. */
export const OUTCOMES: readonly BackupOutcome[] = [
  'succeeded',
  'warnings',
  'partial',
  'failed',
  'cancelled',
];

export const OUTCOME_LABELS: Record<BackupOutcome, string> = {
  succeeded: 'Succeeded',
  warnings: 'With warnings',
  partial: 'Partially succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export type OutcomeCounts = Record<BackupOutcome, number>;

export interface BackupDay {
  /** local midnight that starts the day, in ms */
  start: number;
  counts: OutcomeCounts;
  total: number;
  isToday: boolean;
  /**
   * The job list read does not reach back to this day's start (it held only the newest jobs):
   * its counts may miss some jobs, and an empty day is not known to be empty.
   */
  incomplete: boolean;
}

export interface BackupHistory {
  /** oldest first, today last */
  days: BackupDay[];
  totals: OutcomeCounts;
  total: number;
}

export const HISTORY_DAYS = 14;

function noCounts(): OutcomeCounts {
  return { succeeded: 0, warnings: 0, partial: 0, failed: 0, cancelled: 0 };
}

/** The outcome a finished backup job counts as, or null for other jobs and running ones. */
export function backupOutcome(
  job: Pick<Job, 'kind' | 'status' | 'warnings'>,
): BackupOutcome | null {
  if (job.kind !== 'backup') return null;
  switch (job.status) {
    case 'succeeded':
      return job.warnings.length > 0 ? 'warnings' : 'succeeded';
    case 'partial':
    case 'failed':
    case 'cancelled':
      return job.status;
    default:
      return null;
  }
}

/** The browser's local calendar day of `time`, as a key (month 0-based like Date's). */
function dayKey(time: number): string {
  const date = new Date(time);
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/**
 * The ended backup jobs of the last `dayCount` local calendar days, today included, one entry
 * per day even without a job (a day without a backup is a gap in protection to be seen).
 * Days are built from calendar dates, not 24 h steps, so a daylight-saving change does not shift
 * them. `listedSince`: the creation time of the oldest job read when the list was cut at its
 * limit (older jobs may exist), or null when every job was read.
 */
export function backupHistory(
  jobs: Iterable<Job>,
  now: number,
  listedSince: number | null = null,
  dayCount = HISTORY_DAYS,
): BackupHistory {
  const today = new Date(now);
  const days: BackupDay[] = [];
  const byKey = new Map<string, BackupDay>();
  for (let back = dayCount - 1; back >= 0; back--) {
    const start = new Date(today.getFullYear(), today.getMonth(), today.getDate() - back).getTime();
    const day: BackupDay = {
      start,
      counts: noCounts(),
      total: 0,
      isToday: back === 0,
      incomplete: listedSince !== null && start < listedSince,
    };
    days.push(day);
    byKey.set(dayKey(start), day);
  }
  const totals = noCounts();
  let total = 0;
  for (const job of jobs) {
    const outcome = backupOutcome(job);
    if (outcome === null) continue;
    // The day it ended, as the "Failed backup jobs (24 h)" card counts it and the Jobs page's day
    // filter (the bar's click) lists it.
    const day = byKey.get(dayKey(jobDayTime(job)));
    if (day === undefined) continue;
    day.counts[outcome]++;
    day.total++;
    totals[outcome]++;
    total++;
  }
  return { days, totals, total };
}

const SHORT_DATE = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' });
const WEEKDAY = new Intl.DateTimeFormat('en-US', { weekday: 'short' });

/** "Nov 20": the console's text is English, so are its dates inside sentences. */
export function dayLabel(start: number): string {
  return SHORT_DATE.format(start);
}

/** "1 succeeded, 2 failed", the outcomes that happened only; "no backup job" for none. */
export function countsText(counts: OutcomeCounts): string {
  const parts = OUTCOMES.filter((o) => counts[o] > 0).map(
    (o) => `${counts[o]} ${OUTCOME_LABELS[o].toLowerCase()}`,
  );
  return parts.length === 0 ? 'no backup job' : parts.join(', ');
}

/** A day's bar, for its tooltip: "Sun, Nov 23 (today): 1 succeeded, 1 failed". */
export function dayText(day: BackupDay): string {
  const when = `${WEEKDAY.format(day.start)}, ${dayLabel(day.start)}${day.isToday ? ' (today)' : ''}`;
  const partly = day.incomplete ? ' (older jobs not loaded, there may be more)' : '';
  return `${when}: ${countsText(day.counts)}${partly}`;
}

/** "Nov 20", "Nov 20 and Nov 22", "Nov 10 to Nov 12, Nov 15 and Nov 20": runs of days joined. */
export function daysText(days: readonly BackupDay[]): string {
  const runs: BackupDay[][] = [];
  for (const day of days) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    // The next calendar day starts 23 to 25 h later.
    if (run !== undefined && last !== undefined && day.start - last.start <= 25 * 3600_000)
      run.push(day);
    else runs.push([day]);
  }
  const texts = runs.map((run) => {
    const first = run[0]!;
    const last = run[run.length - 1]!;
    if (run.length === 1) return dayLabel(first.start);
    if (run.length === 2) return `${dayLabel(first.start)} and ${dayLabel(last.start)}`;
    return `${dayLabel(first.start)} to ${dayLabel(last.start)}`;
  });
  if (texts.length <= 1) return texts.join('');
  return `${texts.slice(0, -1).join(', ')} and ${texts[texts.length - 1]}`;
}

/**
 * The chart said in words, for screen readers: "Last 14 days: 23 succeeded, 2 failed; failures
 * on Nov 20 and Nov 22; no backup job on Nov 12". Partial failures count as failures, as on the
 * "Failed backup jobs (24 h)" card.
 */
export function historySummary(history: BackupHistory): string {
  const { days } = history;
  const parts = [`Last ${days.length} days: ${countsText(history.totals)}`];
  const failing = days.filter((d) => d.counts.failed + d.counts.partial > 0);
  if (failing.length > 0) parts.push(`failures on ${daysText(failing)}`);
  const empty = days.filter((d) => d.total === 0 && !d.incomplete);
  if (empty.length > 0 && history.total > 0) parts.push(`no backup job on ${daysText(empty)}`);
  const partly = days.filter((d) => d.incomplete);
  const lastPartly = partly[partly.length - 1];
  if (lastPartly !== undefined)
    parts.push(`up to ${dayLabel(lastPartly.start)} older jobs were not loaded`);
  return parts.join('; ');
}

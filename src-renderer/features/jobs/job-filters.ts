import type { Job } from '../../../shared/domain/jobs';
import { KIND_LABELS, jobTitle } from './job-text';

/**
 * The Jobs page's status filter, by what a person looks for rather than by engine status:
 * "Running" holds the queued jobs too (both still to end), "Failed" the partial ones (some of
 * their VMs failed: they need a look as much), "Succeeded" those that ended with warnings.
 */
export type JobStatusFilter = 'all' | 'active' | 'failed' | 'succeeded' | 'cancelled';
export type JobKindFilter = 'all' | Job['kind'];

export interface JobFilters {
  status: JobStatusFilter;
  kind: JobKindFilter;
  /** Part of a job's title or of one of its VMs' names, any case. */
  text: string;
  /**
   * Only the jobs of this local calendar day (its midnight, in ms), or null for every day: set
   * from the dashboard's bar of a day.
   */
  day: number | null;
}

export const NO_JOB_FILTERS: JobFilters = { status: 'all', kind: 'all', text: '', day: null };

export const STATUS_FILTER_LABELS: Record<JobStatusFilter, string> = {
  all: 'All',
  active: 'Running',
  failed: 'Failed',
  succeeded: 'Succeeded',
  cancelled: 'Cancelled',
};

/** What a status filter holds besides its name, said in its option. */
export const STATUS_FILTER_HINTS: Partial<Record<JobStatusFilter, string>> = {
  active: 'and queued',
  failed: 'and partially succeeded',
  succeeded: 'with or without warnings',
};

const STATUSES_OF: Record<Exclude<JobStatusFilter, 'all'>, readonly Job['status'][]> = {
  active: ['queued', 'running'],
  failed: ['failed', 'partial'],
  succeeded: ['succeeded'],
  cancelled: ['cancelled'],
};

export const KIND_FILTER_LABELS: Record<JobKindFilter, string> = {
  all: 'All kinds',
  ...KIND_LABELS,
};

export function isFiltered(filters: JobFilters): boolean {
  return (
    filters.status !== 'all' ||
    filters.kind !== 'all' ||
    filters.text.trim() !== '' ||
    filters.day !== null
  );
}

type JobTimes = Pick<Job, 'createdAt' | 'startedAt' | 'finishedAt'>;

/**
 * The time that puts a job on a day: when it ended, else when it started, else when it was
 * queued. A nightly job that runs past midnight belongs to the day it ended, as its failure
 * notice and the dashboard's chart of backup jobs (which counts with this too) say.
 */
export function jobDayTime(job: JobTimes): number {
  return Date.parse(job.finishedAt ?? job.startedAt ?? job.createdAt);
}

/** Whether two times fall on the same local calendar day (not within 24 h: days of DST vary). */
function sameLocalDay(a: number, b: number): boolean {
  const x = new Date(a);
  const y = new Date(b);
  return (
    x.getFullYear() === y.getFullYear() &&
    x.getMonth() === y.getMonth() &&
    x.getDate() === y.getDate()
  );
}

export function matchesDay(job: JobTimes, day: number | null): boolean {
  return day === null || sameLocalDay(jobDayTime(job), day);
}

/**
 * From when jobs must be listed to hold every job of `day`: the local midnight before it, a day
 * to spare for a job begun the evening before that ended on `day` (as the dashboard reads them).
 */
export function dayListSince(day: number): number {
  const date = new Date(day);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() - 1).getTime();
}

/** The local midnight that ends `day`: jobs created before it may belong to the day. */
export function dayListUntil(day: number): number {
  const date = new Date(day);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1).getTime();
}

const SHORT_DATE = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' });

/** "Nov 20": the console's text is English, so are its dates inside sentences. */
export function shortDayText(day: number): string {
  return SHORT_DATE.format(day);
}

/** The day filter's chip: "Day: Nov 20". */
export function dayFilterText(day: number): string {
  return `Day: ${shortDayText(day)}`;
}

export function matchesStatus(job: Pick<Job, 'status'>, status: JobStatusFilter): boolean {
  return status === 'all' || STATUSES_OF[status].includes(job.status);
}

/**
 * The text is looked for in the title as the page shows it (local times) and in the tasks'
 * labels: a backup of a subclient is titled by its set, its tasks name the VMs.
 */
function matchesText(job: Pick<Job, 'title' | 'tasks'>, text: string): boolean {
  const needle = text.trim().toLocaleLowerCase();
  if (needle === '') return true;
  return [jobTitle(job), ...job.tasks.map((task) => task.label)].some((haystack) =>
    haystack.toLocaleLowerCase().includes(needle),
  );
}

export function filterJobs<T extends Pick<Job, 'status' | 'kind' | 'title' | 'tasks'> & JobTimes>(
  jobs: readonly T[],
  filters: JobFilters,
): T[] {
  return jobs.filter(
    (job) =>
      matchesStatus(job, filters.status) &&
      (filters.kind === 'all' || job.kind === filters.kind) &&
      matchesDay(job, filters.day) &&
      matchesText(job, filters.text),
  );
}

/** "12 jobs", or "3 of 12 jobs" while a filter hides some. */
export function jobCountText(shown: number, total: number, filtered: boolean): string {
  const noun = total === 1 ? 'job' : 'jobs';
  return filtered ? `${shown} of ${total} ${noun}` : `${total} ${noun}`;
}

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
}

export const NO_JOB_FILTERS: JobFilters = { status: 'all', kind: 'all', text: '' };

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
  return filters.status !== 'all' || filters.kind !== 'all' || filters.text.trim() !== '';
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

export function filterJobs<T extends Pick<Job, 'status' | 'kind' | 'title' | 'tasks'>>(
  jobs: readonly T[],
  filters: JobFilters,
): T[] {
  return jobs.filter(
    (job) =>
      matchesStatus(job, filters.status) &&
      (filters.kind === 'all' || job.kind === filters.kind) &&
      matchesText(job, filters.text),
  );
}

/** "12 jobs", or "3 of 12 jobs" while a filter hides some. */
export function jobCountText(shown: number, total: number, filtered: boolean): string {
  const noun = total === 1 ? 'job' : 'jobs';
  return filtered ? `${shown} of ${total} ${noun}` : `${total} ${noun}`;
}

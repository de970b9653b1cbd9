import type { RequestOf } from '../../shared/contract';
import type { Job } from '../../shared/domain/jobs';
import { invoke, onConnectionStatus, onEvent } from '../api/client';
import { toApiError, type ApiError } from '../api/api-error';
import { dayListSince, dayListUntil, type JobFilters } from '../features/jobs/job-filters';
import { jobTitle } from '../features/jobs/job-text';
import type { LoadStatus, SliceCreator, StoreState } from './types';

/** The log of one job as last fetched (the dialog polls it while the job runs). */
export interface JobLogState {
  jobId: string;
  text: string;
  status: LoadStatus;
  error: ApiError | null;
  fetchedAt: number | null;
}

/** The backup jobs of one day the Jobs page's day filter asked for (see loadBackupJobsOfDay). */
export interface DayJobsState {
  /** local midnight that starts the day, in ms */
  day: number;
  status: LoadStatus;
  error: ApiError | null;
  /** The engine's largest list did not reach back to the day: some of its jobs may be missing. */
  incomplete: boolean;
}

export interface JobsSlice {
  /**
   * Every known job by id: the last job.list, kept current by job.changed / job.progress, with
   * the older jobs read for a day filter.
   */
  jobsById: Record<string, Job>;
  jobsStatus: LoadStatus;
  jobsError: ApiError | null;
  loadJobs(): Promise<void>;
  /**
   * Reads the backup jobs of one day, for the Jobs page's day filter, into jobsById: the usual
   * list holds only the newest jobs, which a busy console runs through in a day or two.
   */
  loadBackupJobsOfDay(day: number): Promise<void>;
  dayJobs: DayJobsState | null;
  /** Takes a job snapshot from an event or a start call; ignores one older than what we have. */
  jobUpdated(job: Job): void;
  selectedJobId: string | null;
  selectJob(id: string | null): void;
  /** Opens the Jobs page on this job (after "Verify", "Back up now"…). */
  showJob(id: string): void;
  /** Opens the Jobs page with these filters (a day's bar on the dashboard). */
  showJobs(filters: JobFilters): void;
  /** Set by showJobs, once: the Jobs page takes them as its filters and clears them. */
  requestedJobFilters: JobFilters | null;
  requestedJobFiltersTaken(): void;
  /**
   * Set by showJob: the details of the job shown take the keyboard focus once, instead of the
   * page's top (review P15). A row picked in the grid keeps the focus in the grid.
   */
  focusJobDetails: boolean;
  jobDetailsFocused(): void;
  /** Throws ApiError (e.g. the job ended meanwhile). */
  cancelJob(id: string): Promise<void>;
  /** "Back up now" on a VM or a subclient: the job starts at once; throws ApiError. */
  startBackup(request: RequestOf<'backup.start'>): Promise<Job>;
  /**
   * "Retry failed VMs" of an ended backup job: the engine starts a new job ("Retry of …") over
   * the VMs it did not back up, returned here; throws ApiError (e.g. nothing left to retry).
   */
  retryFailedVms(jobId: string): Promise<Job>;
  /** The last job started from a VM's details (backup, restore, deletion), by VM UUID. */
  lastJobForVm: Record<string, string>;
  rememberVmJob(vmUuid: string, jobId: string): void;
  jobLog: JobLogState | null;
  loadJobLog(jobId: string): Promise<void>;
  closeJobLog(): void;
}

export const ACTIVE_STATUSES: readonly Job['status'][] = ['queued', 'running'];

export function isActive(job: Pick<Job, 'status'>): boolean {
  return ACTIVE_STATUSES.includes(job.status);
}

/**
 * Whether "Retry failed VMs" applies: an ended backup job with a VM that failed or was cancelled
 * (what the engine's job.retry backs up again). A job that failed before any VM had a row has
 * nothing to retry: it is started again instead.
 */
export function canRetryFailedVms(job: Pick<Job, 'kind' | 'status' | 'tasks'>): boolean {
  return (
    job.kind === 'backup' &&
    !isActive(job) &&
    job.tasks.some((task) => task.status === 'failed' || task.status === 'cancelled')
  );
}

/** Newest first, the way the engine lists them. */
export function sortJobs(jobs: Iterable<Job>): Job[] {
  return [...jobs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * A snapshot that arrives late (a job.list answer sent before the last progress event) must not
 * move a job backwards: an ended job stays ended, and a running one never loses bytes.
 */
function isNewer(candidate: Job, current: Job | undefined): boolean {
  if (current === undefined) return true;
  if (!isActive(current) && isActive(candidate)) return false;
  if (isActive(current) && isActive(candidate)) return candidate.bytesDone >= current.bytesDone;
  return true;
}

/**
 * The jobs of a list merged into the known ones: a listed snapshot older than the known one is
 * ignored, and known jobs the list does not hold (started after it was read, or older) are kept.
 */
function mergeJobs(known: Record<string, Job>, listed: readonly Job[]): Record<string, Job> {
  const jobsById: Record<string, Job> = {};
  for (const job of listed) {
    const current = known[job.id];
    jobsById[job.id] = current !== undefined && !isNewer(job, current) ? current : job;
  }
  for (const job of Object.values(known)) jobsById[job.id] ??= job;
  return jobsById;
}

const JOB_LIST_LIMIT = 200;
/** The most the engine lists at once, as the dashboard's chart of 14 days reads them. */
const DAY_JOB_LIST_LIMIT = 1000;
let loadSequence = 0;
let daySequence = 0;
let logSequence = 0;

export const createJobsSlice: SliceCreator<JobsSlice> = (set, get) => ({
  jobsById: {},
  jobsStatus: 'idle',
  jobsError: null,

  async loadJobs() {
    const sequence = ++loadSequence;
    set({ jobsStatus: 'loading' });
    try {
      const listed = await invoke('job.list', { limit: JOB_LIST_LIMIT });
      if (sequence !== loadSequence) return;
      set((state) => ({
        jobsById: mergeJobs(state.jobsById, listed),
        jobsStatus: 'ready',
        jobsError: null,
      }));
    } catch (err) {
      if (sequence !== loadSequence) return;
      set({ jobsStatus: 'error', jobsError: toApiError(err) });
    }
  },

  dayJobs: null,
  async loadBackupJobsOfDay(day) {
    const sequence = ++daySequence;
    set({ dayJobs: { day, status: 'loading', error: null, incomplete: false } });
    // From the midnight before (a nightly job begun then may end on the day) to the day's end.
    const since = dayListSince(day);
    try {
      const listed = await invoke('job.list', {
        limit: DAY_JOB_LIST_LIMIT,
        kind: 'backup',
        since: new Date(since).toISOString(),
        until: new Date(dayListUntil(day)).toISOString(),
      });
      if (sequence !== daySequence) return;
      const oldest = listed[listed.length - 1];
      const incomplete =
        listed.length >= DAY_JOB_LIST_LIMIT &&
        oldest !== undefined &&
        Date.parse(oldest.createdAt) > since;
      set((state) => ({
        jobsById: mergeJobs(state.jobsById, listed),
        dayJobs: { day, status: 'ready', error: null, incomplete },
      }));
    } catch (err) {
      if (sequence !== daySequence) return;
      set({ dayJobs: { day, status: 'error', error: toApiError(err), incomplete: false } });
    }
  },

  jobUpdated(job) {
    set((state) =>
      isNewer(job, state.jobsById[job.id])
        ? { jobsById: { ...state.jobsById, [job.id]: job } }
        : {},
    );
  },

  selectedJobId: null,
  selectJob(id) {
    set({ selectedJobId: id, focusJobDetails: false });
  },
  showJob(id) {
    set({ selectedJobId: id, focusJobDetails: true });
    get().navigate('jobs');
  },
  showJobs(filters) {
    // A job picked before would show its details under a list that may not hold it.
    set({ requestedJobFilters: filters, selectedJobId: null, focusJobDetails: false });
    get().navigate('jobs');
  },
  requestedJobFilters: null,
  requestedJobFiltersTaken() {
    set({ requestedJobFilters: null });
  },
  focusJobDetails: false,
  jobDetailsFocused() {
    set({ focusJobDetails: false });
  },

  async cancelJob(id) {
    const job = await invoke('job.cancel', { id });
    get().jobUpdated(job);
    get().notify('info', `Cancelling “${jobTitle(job)}”…`);
  },

  async startBackup(request) {
    const job = await invoke('backup.start', request);
    get().jobUpdated(job);
    if ('vm' in request) get().rememberVmJob(request.vm, job.id);
    return job;
  },

  async retryFailedVms(jobId) {
    const job = await invoke('job.retry', { id: jobId });
    get().jobUpdated(job);
    return job;
  },

  lastJobForVm: {},
  rememberVmJob(vmUuid, jobId) {
    set((state) => ({ lastJobForVm: { ...state.lastJobForVm, [vmUuid]: jobId } }));
  },

  jobLog: null,
  async loadJobLog(jobId) {
    const sequence = ++logSequence;
    set((state) => ({
      jobLog:
        state.jobLog?.jobId === jobId
          ? { ...state.jobLog, status: 'loading' }
          : { jobId, text: '', status: 'loading', error: null, fetchedAt: null },
    }));
    try {
      const { text } = await invoke('job.log', { id: jobId });
      if (sequence !== logSequence) return;
      set({ jobLog: { jobId, text, status: 'ready', error: null, fetchedAt: Date.now() } });
    } catch (err) {
      if (sequence !== logSequence) return;
      set((state) => ({
        jobLog: {
          jobId,
          text: state.jobLog?.jobId === jobId ? state.jobLog.text : '',
          status: 'error',
          error: toApiError(err),
          fetchedAt: state.jobLog?.fetchedAt ?? null,
        },
      }));
    }
  },
  closeJobLog() {
    logSequence++;
    set({ jobLog: null });
  },
});

/**
 * Live job updates: every job.changed / job.progress snapshot lands in the store, whether or not
 * the Jobs page is open (the VM drawer and the Storage page show their jobs too). After a dropped
 * event connection, events sent meanwhile are lost: the list is read again.
 */
export function subscribeJobEvents(getState: () => StoreState): (() => void)[] {
  let wasConnected = true;
  return [
    onEvent('job.changed', ({ job }) => getState().jobUpdated(job)),
    onEvent('job.progress', ({ job }) => getState().jobUpdated(job)),
    onConnectionStatus((status) => {
      const connected = status.state === 'connected';
      if (connected && !wasConnected && getState().jobsStatus !== 'idle')
        void getState().loadJobs();
      wasConnected = connected;
    }),
  ];
}

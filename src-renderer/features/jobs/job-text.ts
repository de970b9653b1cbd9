import {
  BackupJobResult,
  type Job,
  type JobStatus,
  type JobTask,
} from '../../../shared/domain/jobs';
import { formatBytes } from '../../lib/format';
import { recoveryTestOutcome, recoveryTestRows } from './recovery-test-text';

export const STATUS_LABELS: Record<JobStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  partial: 'Partially succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/**
 * A backup's VM whose attempt failed and that waits for its subclient's Automatic retry: the
 * engine puts its row back to queued with the failure as its message ("Attempt 1 failed: …")
 * and the retry as its phase ("retry 1 of 2 at 2026-11-24T23:05:10Z"). A VM waiting for a slot
 * has no message.
 */
export function isWaitingToRetry(task: Pick<JobTask, 'status' | 'message'>): boolean {
  return task.status === 'queued' && task.message !== undefined;
}

/**
 * A task's status as its row shows it: a VM queued in a backup is waiting for its host to have a
 * free backup slot (per-host concurrency), or for its next attempt, which "Queued" would not
 * explain.
 */
export function taskStatusLabel(task: Pick<JobTask, 'status'> & Partial<JobTask>): string {
  if (task.status !== 'queued') return STATUS_LABELS[task.status];
  return isWaitingToRetry(task) ? 'Waiting to retry' : 'Waiting for a free slot';
}

/**
 * A task's "Phase / message" cell: what it does while it runs, why it ended as it did, and while
 * it waits to retry both why the last attempt failed and when the next one starts.
 */
export function taskMessage(task: JobTask): string {
  if (isWaitingToRetry(task))
    return `${task.message ?? ''} — ${task.phase.replace(ISO_INSTANT, retryClock)}`;
  const active = task.status === 'running' || task.status === 'queued';
  if (task.message !== undefined && !active) return task.message;
  return task.status === 'queued' ? '—' : task.phase;
}

export const KIND_LABELS: Record<Job['kind'], string> = {
  backup: 'Backup',
  restore: 'Restore',
  verify: 'Verify',
  prune: 'Prune',
  delete: 'Delete points',
};

/**
 * Binary units per second ("12.5 MiB/s"), the units of every size beside it: a rate in decimal
 * MB/s next to sizes in MiB would not divide into the ETA a reader works out.
 */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '—';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** h:mm:ss, hours unbounded (a 30-hour full backup reads "30:00:00"). */
export function formatClock(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** Whole percent, never 100 before the last byte (a stuck 99 % is honest, a stuck 100 % is not). */
export function percentOf(done: number, total: number): number | undefined {
  if (total <= 0) return undefined;
  const percent = Math.floor((done / total) * 100);
  return Math.min(100, Math.max(0, done < total ? Math.min(percent, 99) : percent));
}

export function formatLocalTime(iso: string | undefined): string {
  if (iso === undefined) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** An ISO 8601 instant with its zone, as the engine writes times into job titles. */
const ISO_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

/**
 * Text with every ISO instant in it ("Restore web (2026-11-23T00:45:21.063Z) to …") shown in
 * local time, like every other time in the console. The engine's text keeps UTC for the CLI and
 * the log; only what the console shows changes.
 */
export function localizeTimes(text: string): string {
  return text.replace(ISO_INSTANT, (iso) => formatLocalTime(iso));
}

/** When a retry starts, minutes or hours away: the local time of day, to the second. */
function retryClock(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** A job's title as the console shows it: its times in local time. */
export function jobTitle(job: Pick<Job, 'title'>): string {
  return localizeTimes(job.title);
}

/**
 * The VMs of a backup job, for its row in the job list: "Backup of lab-set / web" names the set
 * and subclient, not the machines. Undefined when the title already says it all (one VM, named).
 */
export function backupVmsLine(job: Pick<Job, 'kind' | 'title' | 'tasks'>): string | undefined {
  if (job.kind !== 'backup' || job.tasks.length === 0) return undefined;
  const names = job.tasks.map((task) => task.label);
  if (names.length === 1 && job.title.includes(names[0] ?? '')) return undefined;
  const shown = names.slice(0, 3).join(', ');
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}

/** Time only for today's jobs, day and time for older ones: the column stays narrow. */
export function formatShortTime(iso: string | undefined, now: number): string {
  if (iso === undefined) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  if (date.toDateString() === new Date(now).toDateString()) return date.toLocaleTimeString();
  return date.toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** Seconds from start to end, or to now while the job runs. */
export function durationSeconds(job: Job, now: number): number | undefined {
  const start = Date.parse(job.startedAt ?? job.createdAt);
  if (Number.isNaN(start)) return undefined;
  const end = job.finishedAt === undefined ? now : Date.parse(job.finishedAt);
  return Number.isNaN(end) ? undefined : Math.max(0, (end - start) / 1000);
}

/** An ended job that moved no data (a prune, a metadata verify) has no "0 B" worth showing. */
export function measured(job: Pick<Job, 'status' | 'bytesDone' | 'bytesTotal'>): boolean {
  const ended = job.status !== 'running' && job.status !== 'queued';
  return !ended || job.bytesDone > 0 || job.bytesTotal > 0;
}

export function bytesProgress(done: number, total: number): string {
  return total > 0 ? `${formatBytes(done)} of ${formatBytes(total)}` : formatBytes(done);
}

/**
 * Why a job did not succeed, in one sentence: its own error, or else the messages of the tasks
 * that failed (a backup whose only VM failed has no job-level error, only a failed task).
 */
export function failureSummary(job: Job): string | undefined {
  if (job.error !== undefined) return job.error.message;
  const failed = job.tasks.filter((task) => task.status === 'failed' && task.message);
  if (failed.length === 0) return undefined;
  return failed.map((task) => `${task.label}: ${task.message ?? ''}`).join(' · ');
}

/** The first few warnings of a job, then "and N more" (the Jobs page lists them all). */
export function warningsPreview(
  warnings: readonly string[],
  shown = 3,
): { lines: string[]; more: string | undefined } {
  const rest = warnings.length - shown;
  return {
    lines: warnings.slice(0, shown),
    more: rest > 0 ? `and ${rest} more warning${rest === 1 ? '' : 's'}` : undefined,
  };
}

/**
 * While a running job has tasks not sized yet (a VM still "starting", or waiting for a free slot
 * on its host), its total is not known and the engine reports none: says which, so the moving bar
 * without a percentage is explained.
 */
export function unknownTotalNote(job: Job): string | undefined {
  if (job.status !== 'running' || job.bytesTotal > 0) return undefined;
  const starting = job.tasks.filter((t) => t.status === 'running' && t.bytesTotal === 0);
  const waiting = job.tasks.filter((t) => t.status === 'queued' && !isWaitingToRetry(t));
  const retrying = job.tasks.filter(isWaitingToRetry);
  const parts: string[] = [];
  if (starting.length > 0) parts.push(`${fewNames(starting)} starting`);
  if (waiting.length > 0) parts.push(`${fewNames(waiting)} waiting for a free slot`);
  if (retrying.length > 0) parts.push(`${fewNames(retrying)} waiting to retry`);
  if (parts.length === 0) return undefined;
  return `${parts.join(', ')} — total not known yet`;
}

function fewNames(tasks: readonly JobTask[]): string {
  const names = tasks.slice(0, 3).map((t) => t.label);
  if (tasks.length > 3) names.push(`${tasks.length - 3} more`);
  return names.join(', ');
}

/**
 * What an ended backup job did, as label/value facts: the average rate over the data read, the
 * new data it stored and how much of what it read the repository already held (dedup). Empty for
 * other jobs, running ones, and backups recorded before the engine kept these numbers.
 */
export function backupSummaryFacts(job: Job, now: number): [string, string][] {
  if (job.kind !== 'backup' || job.status === 'running' || job.status === 'queued') return [];
  const parsed = BackupJobResult.safeParse(job.result);
  if (!parsed.success) return [];
  const {
    readBytes,
    newBytes,
    storedBytes,
    retentionJobs = [],
    retryWaitSeconds = 0,
  } = parsed.data;
  const facts: [string, string][] = [];
  // The waits between automatic retries copied nothing: the rate is over the time spent copying.
  const total = durationSeconds(job, now);
  const seconds = total === undefined ? undefined : total - retryWaitSeconds;
  if (seconds !== undefined && seconds > 0 && readBytes > 0)
    facts.push([
      'Average rate',
      retryWaitSeconds > 0
        ? `${formatRate(readBytes / seconds)} (not counting ${formatClock(retryWaitSeconds)} waiting to retry)`
        : formatRate(readBytes / seconds),
    ]);
  const compressed = storedBytes > 0 && storedBytes !== newBytes;
  facts.push([
    'New data stored',
    compressed
      ? `${formatBytes(storedBytes)} (${formatBytes(newBytes)} before compression)`
      : formatBytes(newBytes),
  ]);
  if (readBytes > 0) {
    const known = Math.max(0, readBytes - newBytes);
    const percent = Math.round((known / readBytes) * 100);
    facts.push([
      'Deduplicated',
      `${formatBytes(known)} of ${formatBytes(readBytes)} read (${percent} %) already stored`,
    ]);
  }
  // Says why points vanish from the list after a backup: the subclient's retention ran.
  if (retentionJobs.length > 0)
    facts.push([
      'Retention',
      `older restore points it no longer keeps are removed by ${retentionJobs.length === 1 ? 'a prune job' : `${retentionJobs.length} prune jobs`} (on the Jobs page)`,
    ]);
  return facts;
}

const BACKUP_SUMMARY_KEYS = [
  'readBytes',
  'newBytes',
  'storedBytes',
  'retentionJobs',
  'retryWaitSeconds',
];

const RESULT_LABELS: Record<string, string> = {
  points: 'Restore points',
  packs: 'Packs',
  blobsChecked: 'Chunks re-hashed',
  removed: 'Points removed',
  wouldRemove: 'Points that would be removed',
  freedBytes: 'Space freed',
  deletedPacks: 'Packs deleted',
  repackedPacks: 'Packs rewritten',
  dest: 'Written to',
  bytes: 'Bytes written',
  ok: 'Repository intact',
};

/** A job's result as label/value rows; unknown keys keep their name, values are shown plainly. */
export function resultRows(result: Record<string, unknown> | undefined): [string, string][] {
  if (result === undefined) return [];
  const recoveryTest = recoveryTestOutcome(result);
  if (recoveryTest !== undefined) return recoveryTestRows(recoveryTest);
  // What a backup did is shown as its summary facts (backupSummaryFacts), not again here.
  const summarized = BackupJobResult.safeParse(result).success ? BACKUP_SUMMARY_KEYS : [];
  return Object.entries(result)
    .filter(([key]) => key !== 'errors' && !summarized.includes(key))
    .map(([key, value]) => [RESULT_LABELS[key] ?? humanizeKey(key), formatResultValue(key, value)]);
}

function humanizeKey(key: string): string {
  const words = key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function formatResultValue(key: string, value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return /bytes/i.test(key) ? formatBytes(value) : String(value);
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none';
    return value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(', ');
  }
  return JSON.stringify(value);
}

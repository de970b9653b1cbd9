import type { VmPointSummary } from '../../../shared/contract';
import type { Job, JobTask } from '../../../shared/domain/jobs';
import type { VirtualMachine } from '../../../shared/domain/vm';

/** What the "Last backup" chip says about one VM. */
export type BackupState = 'ok' | 'warning' | 'failed' | 'never';

export const BACKUP_STATE_LABELS: Record<BackupState, string> = {
  ok: 'OK',
  warning: 'Warning',
  failed: 'Failed',
  never: 'Never',
};

export interface VmBackupStatus {
  state: BackupState;
  /** ISO time of the VM's newest restore point, null when it has none */
  lastPointTime: string | null;
  /** ISO time the failed backup ended (state 'failed' only): what the column's age is of */
  failedAt: string | null;
  points: number;
  /** Why the chip is not OK: the failed task's message or the job's warnings for this VM. */
  detail: string | null;
}

/** The outcome of one VM's task in a backup job that ended. */
export interface VmBackupOutcome {
  job: Job;
  task: JobTask;
}

function endedAt(job: Job): string {
  return job.finishedAt ?? job.startedAt ?? job.createdAt;
}

/**
 * Per VM UUID, its task in the newest backup job that ended with a verdict on it. Running and
 * cancelled tasks are skipped: a cancelled run says nothing about whether backups work, so the
 * run before it decides. One pass over the jobs, so the grid can look VMs up cheaply.
 */
export function latestBackupOutcomes(jobs: Iterable<Job>): Map<string, VmBackupOutcome> {
  const latest = new Map<string, VmBackupOutcome>();
  for (const job of jobs) {
    if (job.kind !== 'backup') continue;
    for (const task of job.tasks) {
      if (task.status !== 'succeeded' && task.status !== 'partial' && task.status !== 'failed')
        continue;
      const current = latest.get(task.key);
      if (current === undefined || endedAt(job) > endedAt(current.job))
        latest.set(task.key, { job, task });
    }
  }
  return latest;
}

/** The backup job prefixes each VM's warnings with the VM's name (the task label). */
function warningsFor(outcome: VmBackupOutcome): string[] {
  const prefix = `${outcome.task.label}: `;
  return outcome.job.warnings.filter((w) => w.startsWith(prefix));
}

/**
 * The status of one VM: the newest backup of it decides (a failure shows even when an older
 * point exists); a VM with points but no known job (history trimmed, repository attached) is OK.
 */
export function vmBackupStatus(
  summary: VmPointSummary | undefined,
  outcome: VmBackupOutcome | undefined,
): VmBackupStatus {
  const lastPointTime = summary?.newestTime ?? null;
  const points = summary?.points ?? 0;
  if (outcome?.task.status === 'failed')
    return {
      state: 'failed',
      lastPointTime,
      failedAt: endedAt(outcome.job),
      points,
      detail: outcome.task.message ?? outcome.job.error?.message ?? null,
    };
  if (points === 0)
    return { state: 'never', lastPointTime: null, failedAt: null, points, detail: null };
  const warnings = outcome === undefined ? [] : warningsFor(outcome);
  if (outcome?.task.status === 'partial' || warnings.length > 0)
    return {
      state: 'warning',
      lastPointTime,
      failedAt: null,
      points,
      detail: warnings.join('\n') || (outcome?.task.message ?? null),
    };
  return { state: 'ok', lastPointTime, failedAt: null, points, detail: null };
}

/**
 * The moment the "Last backup" column shows the age of: when a failed backup ended (review M3:
 * the age of the last good point read as "failed 9 min ago"), else the newest point's time.
 */
export function lastBackupTime(status: VmBackupStatus): string | null {
  return status.failedAt ?? status.lastPointTime;
}

/** Sort key of the "Last backup" column: by the time it shows; never-backed-up at the end. */
export function lastBackupSortValue(status: VmBackupStatus): number {
  const time = lastBackupTime(status);
  return time === null ? -1 : Date.parse(time);
}

/** The tooltip of the column's age: the exact moment and, after a failure, the last good point. */
export function lastBackupTooltip(status: VmBackupStatus, formatTime: (iso: string) => string) {
  if (status.failedAt === null)
    return status.lastPointTime === null ? null : formatTime(status.lastPointTime);
  const lastGood =
    status.lastPointTime === null
      ? 'No restore point yet.'
      : `Last good restore point: ${formatTime(status.lastPointTime)}.`;
  return `Failed at ${formatTime(status.failedAt)}. ${lastGood}`;
}

/** "just now", "5 min ago", "2 h ago", "3 d ago": how long ago, at a glance. */
export function formatAge(iso: string, now: number): string {
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds) || seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

export interface BackupOverview {
  /** VMs of the inventory with at least one restore point */
  protectedVms: number;
  unprotectedVms: number;
  /** backup jobs that ended failed or partially failed (some VMs failed) in the last 24 h */
  failedJobsLastDay: number;
  /** of which partially failed */
  partialJobsLastDay: number;
  /** ISO time of the newest restore point of any VM, null when there is none */
  lastSuccessTime: string | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The dashboard's backup cards. */
export function backupOverview(
  vms: readonly Pick<VirtualMachine, 'uuid'>[],
  summaries: readonly VmPointSummary[],
  jobs: Iterable<Job>,
  now: number,
): BackupOverview {
  const withPoints = new Set(summaries.filter((s) => s.points > 0).map((s) => s.vmUuid));
  const protectedVms = vms.filter((vm) => withPoints.has(vm.uuid)).length;
  let failedJobsLastDay = 0;
  let partialJobsLastDay = 0;
  for (const job of jobs) {
    if (job.kind !== 'backup' || now - Date.parse(endedAt(job)) >= DAY_MS) continue;
    if (job.status === 'failed' || job.status === 'partial') failedJobsLastDay++;
    if (job.status === 'partial') partialJobsLastDay++;
  }
  let lastSuccessTime: string | null = null;
  for (const s of summaries)
    if (lastSuccessTime === null || Date.parse(s.newestTime) > Date.parse(lastSuccessTime))
      lastSuccessTime = s.newestTime;
  return {
    protectedVms,
    unprotectedVms: vms.length - protectedVms,
    failedJobsLastDay,
    partialJobsLastDay,
    lastSuccessTime,
  };
}

/** Which VMs the grid shows, from the dashboard's cards. */
export type VmBackupFilter = 'all' | 'protected' | 'unprotected';

export function filterByBackup<T extends Pick<VirtualMachine, 'uuid'>>(
  vms: readonly T[],
  filter: VmBackupFilter,
  summaries: readonly VmPointSummary[],
): T[] {
  if (filter === 'all') return [...vms];
  const withPoints = new Set(summaries.filter((s) => s.points > 0).map((s) => s.vmUuid));
  return vms.filter((vm) => withPoints.has(vm.uuid) === (filter === 'protected'));
}

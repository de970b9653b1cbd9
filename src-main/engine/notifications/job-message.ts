import type { Job } from '../../../shared/domain/jobs';
import type { NotifyOn } from '../../../shared/domain/notifications';

const ENDED = new Set<Job['status']>(['succeeded', 'partial', 'failed', 'cancelled']);

/** Whether an ended job is one the administrator asked to hear about. */
export function wantsNotice(on: NotifyOn, job: Job): boolean {
  if (!ENDED.has(job.status) || on === 'off') return false;
  if (on === 'all') return true;
  // A cancellation is the administrator's own doing: not a failure to be told about.
  const failed = job.status === 'failed' || job.status === 'partial';
  return failed || (on === 'problems' && job.status === 'succeeded' && job.warnings.length > 0);
}

function outcome(job: Job): string {
  switch (job.status) {
    case 'failed':
      return 'FAILED';
    case 'partial':
      return 'PARTLY FAILED';
    case 'cancelled':
      return 'was cancelled';
    default:
      return job.warnings.length > 0
        ? `succeeded with ${job.warnings.length} warning${job.warnings.length === 1 ? '' : 's'}`
        : 'succeeded';
  }
}

/** At most this many failed rows and warnings are quoted; the job's log has the rest. */
const QUOTED = 5;

/**
 * The webhook's JSON body. `text` is what chat webhooks (Slack, Mattermost, Rocket.Chat, …)
 * display; the rest is for scripts: the job as the console shows it, without its progress.
 */
export function jobMessage(job: Job, host: string) {
  const failedRows = job.tasks.filter((t) => t.status === 'failed' || t.status === 'partial');
  const lines = [`Hyperkeep on ${host}: ${job.title} ${outcome(job)}.`];
  if (job.error) lines.push(job.error.message);
  for (const t of failedRows.slice(0, QUOTED)) lines.push(`• ${t.label}: ${t.message ?? 'failed'}`);
  for (const w of job.warnings.slice(0, QUOTED)) lines.push(`• warning: ${w}`);
  if (failedRows.length > QUOTED || job.warnings.length > QUOTED)
    lines.push(`… more in the job's log (job ${job.id}).`);
  return {
    text: lines.join('\n'),
    source: 'hyperkeep',
    host,
    job: {
      id: job.id,
      kind: job.kind,
      title: job.title,
      status: job.status,
      startedAt: job.startedAt ?? null,
      finishedAt: job.finishedAt ?? null,
      error: job.error?.message ?? null,
      warnings: job.warnings,
      tasks: job.tasks.map((t) => ({
        label: t.label,
        status: t.status,
        message: t.message ?? null,
      })),
    },
  };
}

/** The test message "Send test" posts, in the same shape without a job. */
export function testMessage(host: string) {
  return {
    text: `Hyperkeep on ${host}: test message. Job notifications will arrive here.`,
    source: 'hyperkeep',
    host,
    job: null,
  };
}

/** A scheduled run that could not start: no job exists, so the message stands for one. */
export function problemMessage(host: string, what: string, why: string) {
  return {
    text: `Hyperkeep on ${host}: ${what} could NOT START.\n${why}`,
    source: 'hyperkeep',
    host,
    job: null,
  };
}

import type { Job } from '../../../shared/domain/jobs';
import { HyperkeepError } from '../../../shared/errors';
import type { Engine } from '../engine';
import { startBackupJob, targetOfVm, type BackupTarget } from './backup-job';

/**
 * "Retry failed VMs" (Veeam's Retry, Commvault's Resubmit): a new backup job over the VMs an
 * ended backup job did not back up, each with its subclient's settings as they are now. It
 * backs up incrementally where a point exists, whatever the first job was asked: what the
 * administrator wants back is a restore point, and a forced full would only read more.
 */
export async function retryFailedVms(engine: Engine, jobId: string): Promise<Job> {
  const job = engine.jobs.get(jobId);
  if (job.kind !== 'backup')
    throw new HyperkeepError('INVALID_INPUT', 'Only backup jobs can be retried.');
  if (engine.jobs.isRunning(jobId))
    throw new HyperkeepError(
      'INVALID_INPUT',
      'This job still runs: retry its failed VMs once it has ended.',
    );
  const failed = job.tasks.filter((t) => t.status === 'failed' || t.status === 'cancelled');
  if (failed.length === 0)
    throw new HyperkeepError(
      'INVALID_INPUT',
      job.error
        ? `This job failed before it backed up any VM (${job.error.message}): start the backup again.`
        : 'Every VM of this job was backed up: there is nothing to retry.',
    );
  const { vms } = await engine.inventory.listVms();
  const targets: BackupTarget[] = [];
  const gone: string[] = [];
  for (const task of failed) {
    const vm = vms.find((v) => v.uuid === task.key);
    if (vm) targets.push(targetOfVm(engine, vm));
    else gone.push(task.label);
  }
  if (targets.length === 0)
    throw new HyperkeepError(
      'NOT_FOUND',
      `No VM of this job that failed is on the registered hypervisors any more (${gone.join(', ')}).`,
    );
  const warnings = gone.map(
    (name) => `${name}: not retried, it is no longer on the registered hypervisors`,
  );
  // A retry of a retry is titled after the job it retries in the end, not "Retry of Retry of".
  const title = `Retry of ${job.title.replace(/^(Retry of )+/, '')}`;
  return startBackupJob(engine, title, targets, false, { warnings });
}

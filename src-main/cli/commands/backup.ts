import { InvalidArgumentError, type Command } from 'commander';
import { BackupJobResult, JobKind, type Job } from '../../../shared/domain/jobs';
import { HyperkeepError } from '../../../shared/errors';
import type { Run } from '../context';
import type { EngineClient } from '../engine-client';
import { readPasswordFile } from '../password-file';
import { formatBytes, printJson, printTable } from '../output';
import { EXIT, dateTime, usageError, wholeNumber } from '../usage';
import { findBackupSet } from './lookup';
import { registerPointsDelete } from './points-delete';
import { registerPointsProtect } from './points-protect';
import { printPruneOutcome } from './prune-report';

/** Like restic and borg: the passphrase comes from a file or the environment, never only a prompt. */
export function readPassphrase(passwordFile: string | undefined): string | undefined {
  if (passwordFile) return readPasswordFile(passwordFile);
  return process.env.HYPERKEEP_PASSPHRASE || undefined;
}

interface JobsOptions {
  cancel?: boolean;
  retry?: boolean;
  wait?: boolean;
  kind?: JobKind;
  since?: string;
  until?: string;
  limit?: number;
}

function jobKind(value: string): JobKind {
  const kind = JobKind.safeParse(value);
  if (!kind.success) throw new InvalidArgumentError(`Give one of: ${JobKind.options.join(', ')}.`);
  return kind.data;
}

function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '--:--';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

function progressLine(job: Job): string {
  const pct = job.bytesTotal > 0 ? `${Math.floor((job.bytesDone / job.bytesTotal) * 100)}%` : '';
  const tasks = job.tasks
    .filter((t) => t.status === 'running')
    .map((t) => `${t.label} ${t.phase}`)
    .join(', ');
  return `${job.phase} ${pct} ${formatBytes(job.rate)}/s ETA ${duration(job.etaSeconds)}${tasks ? ` — ${tasks}` : ''}`;
}

/** Follows a job to its end, showing progress on stderr when a person watches. */
export async function waitForJob(client: EngineClient, job: Job, json: boolean): Promise<Job> {
  let current = job;
  const live = !json && process.stderr.isTTY;
  while (current.status === 'running' || current.status === 'queued') {
    await new Promise((r) => setTimeout(r, 500));
    current = await client.call('job.get', { id: current.id });
    if (live) process.stderr.write(`\r\x1b[K${progressLine(current)}`);
  }
  if (live) process.stderr.write('\r\x1b[K');
  return current;
}

/**
 * Waits for the prune jobs a backup started to apply its subclient's retention, and says what
 * they removed (under --json only waits: the backup's JSON is the output). A CLI without a
 * running `serve` has its own engine, which would cancel them when the command ends.
 */
async function followRetention(client: EngineClient, backup: Job, json: boolean): Promise<void> {
  const ids = BackupJobResult.safeParse(backup.result).data?.retentionJobs ?? [];
  for (const id of ids) {
    const prune = await waitForJob(client, await client.call('job.get', { id }), json);
    if (json) continue;
    if (prune.status !== 'succeeded')
      console.log(
        `  warning: retention (job ${id}) ${prune.status}: ${prune.error?.message ?? ''}`,
      );
    else {
      console.log(`Retention (job ${id}):`);
      printPruneOutcome(prune);
    }
  }
}

export function reportJob(job: Job, json: boolean): number {
  if (json) printJson(job);
  else {
    console.log(`${job.title}: ${job.status}`);
    for (const t of job.tasks)
      console.log(`  ${t.label}: ${t.status}${t.message ? ` — ${t.message}` : ''}`);
    for (const w of job.warnings) console.log(`  warning: ${w}`);
    if (job.error) console.error(`hyperkeep: ${job.error.message}`);
  }
  return job.status === 'succeeded'
    ? EXIT.ok
    : job.status === 'partial'
      ? EXIT.partial
      : job.status === 'running'
        ? EXIT.ok
        : EXIT.failed;
}

async function findSubclientAnywhere(client: EngineClient, name: string, backupSet?: string) {
  const sets = backupSet
    ? [await findBackupSet(client, backupSet)]
    : await client.call('backupSet.list', {});
  const found = sets.flatMap((set) =>
    set.subclients
      .filter((s) => s.id === name || s.name.toLowerCase() === name.toLowerCase())
      .map((s) => ({ set, subclient: s })),
  );
  if (found.length === 0)
    throw new HyperkeepError(
      'NOT_FOUND',
      `No subclient named "${name}"${backupSet ? ` in backup set "${backupSet}"` : ''}.`,
    );
  if (found.length > 1)
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Several backup sets have a subclient "${name}" (${found.map((f) => f.set.name).join(', ')}): add --backupset.`,
    );
  return found[0]!;
}

/**
 * A VM without restore points is either not backed up yet or a typo: only a VM the registered
 * hypervisors have makes an empty list the right answer (a typo in a script is not "no backups").
 */
async function requireKnownVm(client: EngineClient, vm: string): Promise<void> {
  const { vms } = await client.call('vm.list', {});
  if (!vms.some((v) => v.name === vm || v.uuid === vm))
    throw new HyperkeepError(
      'NOT_FOUND',
      `No VM "${vm}" has restore points or is on the registered hypervisors (see: hyperkeep points, hyperkeep vm list).`,
    );
}

export function registerBackupCommands(program: Command, run: Run): void {
  program
    .command('backup')
    .description(
      "back up a subclient's VMs or one VM now (incremental when a previous point exists)",
    )
    .option('--subclient <name>', 'every VM of this subclient (discovered now)')
    .option('--backupset <name>', 'the backup set of --subclient, when the name is ambiguous')
    .option('--vm <name>', 'one VM, by name or UUID')
    .option('--full', 'read every block even when an incremental is possible')
    .option(
      '--wait',
      'wait for the job to end (and exit non-zero if it failed); without a running serve it always waits',
    )
    .action(
      (o: {
        subclient?: string;
        backupset?: string;
        vm?: string;
        full?: boolean;
        wait?: boolean;
      }) =>
        run(async ({ client, json }) => {
          if (!o.subclient === !o.vm) throw usageError('Name exactly one of --subclient or --vm.');
          let job: Job;
          if (o.vm) job = await client.call('backup.start', { vm: o.vm, full: Boolean(o.full) });
          else {
            const { set, subclient } = await findSubclientAnywhere(
              client,
              o.subclient!,
              o.backupset,
            );
            job = await client.call('backup.start', {
              backupSetId: set.id,
              subclientId: subclient.id,
              full: Boolean(o.full),
            });
          }
          if (!o.wait && client.served) {
            if (json) printJson(job);
            else
              console.log(`Started job ${job.id}: ${job.title} (follow it with: hyperkeep jobs)`);
            return;
          }
          // Without a serve, the job runs in this command's engine and would end with it.
          if (!o.wait && !json)
            console.log(
              `Job ${job.id} runs in this command (no hyperkeep serve runs for this home): waiting for it.`,
            );
          const ended = await waitForJob(client, job, json);
          const code = reportJob(ended, json);
          await followRetention(client, ended, json);
          return code;
        }),
    );

  const points = program
    .command('points')
    .description(
      'restore points, newest first; `points delete|protect|unprotect ID` act on chosen ones',
    )
    .option('--vm <name>', 'of this VM (name or UUID)')
    .action((o: { vm?: string }) =>
      run(async ({ client, json }) => {
        const points = await client.call('points.list', o.vm ? { vm: o.vm } : {});
        if (o.vm && points.length === 0) await requireKnownVm(client, o.vm);
        if (json) return printJson(points);
        printTable(
          ['ID', 'VM', 'TIME', 'TYPE', 'CONSISTENCY', 'LOGICAL', 'STORED', 'PROTECTED'],
          points.map((p) => [
            p.id,
            p.vmName,
            p.time,
            p.type,
            p.consistency,
            formatBytes(p.logicalBytes),
            formatBytes(p.storedBytes),
            p.protection ? p.protection.reason || 'yes' : '',
          ]),
        );
      }),
    );
  registerPointsDelete(points, run);
  registerPointsProtect(points, run);

  program
    .command('jobs')
    .description('jobs, newest first; with an id: that job and its log')
    .argument('[id]', 'a job id')
    .option('--cancel', 'cancel the running job')
    .option('--retry', 'back up again the VMs this ended backup job failed to (a new job)')
    .option('--wait', 'wait for the job to end')
    .option('--kind <kind>', `only jobs of this kind: ${JobKind.options.join(', ')}`, jobKind)
    .option(
      '--since <iso-time>',
      'only jobs created at or after, e.g. 2026-11-01T00:00+01:00',
      dateTime,
    )
    .option('--until <iso-time>', 'only jobs created before this time', dateTime)
    .option('--limit <n>', 'at most this many jobs (default 100)', wholeNumber(1, 1000))
    .action((id: string | undefined, o: JobsOptions) =>
      run(async ({ client, json }) => {
        if (o.retry && (!id || o.cancel))
          throw usageError('--retry needs a job id, and no --cancel.');
        if (o.retry) {
          const job = await client.call('job.retry', { id: id! });
          if (!o.wait && client.served) {
            if (json) printJson(job);
            else
              console.log(`Started job ${job.id}: ${job.title} (follow it with: hyperkeep jobs)`);
            return;
          }
          const ended = await waitForJob(client, job, json);
          return reportJob(ended, json);
        }
        if (!id) {
          const jobs = await client.call('job.list', {
            ...(o.limit === undefined ? {} : { limit: o.limit }),
            ...(o.kind === undefined ? {} : { kind: o.kind }),
            // As instants: the engine takes ISO 8601 with an offset; a bare date is UTC midnight.
            ...(o.since === undefined ? {} : { since: new Date(o.since).toISOString() }),
            ...(o.until === undefined ? {} : { until: new Date(o.until).toISOString() }),
          });
          if (json) return printJson(jobs);
          printTable(
            ['ID', 'KIND', 'STATUS', 'STARTED', 'TITLE'],
            jobs.map((j) => [j.id, j.kind, j.status, j.startedAt ?? '', j.title]),
          );
          return;
        }
        let job = o.cancel
          ? await client.call('job.cancel', { id })
          : await client.call('job.get', { id });
        if (o.wait) job = await waitForJob(client, job, json);
        if (json) return printJson({ ...job, log: (await client.call('job.log', { id })).text });
        reportJob(job, false);
        process.stdout.write((await client.call('job.log', { id })).text);
      }),
    );
}

import type { Command } from 'commander';
import type { Job } from '../../../shared/domain/jobs';
import type { EngineClient } from '../engine-client';
import { printJson } from '../output';
import { reportJob, waitForJob } from './backup';

/** A `restore …` subcommand with what every restore takes: the VM, the point, --wait/--no-wait. */
export function restoreSubcommand(restore: Command, name: string, description: string): Command {
  return restore
    .command(name)
    .description(description)
    .requiredOption('--vm <name>', 'VM name or UUID')
    .requiredOption('--point <id>', 'restore point id (see: hyperkeep points --vm VM)')
    .option('--wait', 'follow the job to its end and exit non-zero if it failed (the default)')
    .option('--no-wait', 'print the job id and return (with a running `hyperkeep serve`)');
}

/**
 * As `backup --wait`: the job is followed to its end. A restore waits unless --no-wait is given,
 * because a CLI without a running `serve` runs the job in its own engine, which ends with it.
 * After the end: how many items a file restore skipped, or the identity of a restored VM.
 */
export async function followRestoreJob(
  client: EngineClient,
  job: Job,
  wait: boolean | undefined,
  json: boolean,
): Promise<number | undefined> {
  if (wait === false) {
    if (json) printJson(job);
    else console.log(`Started job ${job.id}: ${job.title} (follow it with: hyperkeep jobs)`);
    return undefined;
  }
  const done = await waitForJob(client, job, json);
  const code = reportJob(done, json);
  if (json) return code;
  const result = (done.result ?? {}) as {
    skipped?: { path: string; reason: string }[];
    vm?: string;
    uuid?: string;
    macs?: string[];
  };
  const skipped = result.skipped ?? [];
  if (skipped.length > 0)
    console.log(
      `  ${skipped.length} item(s) not restored; the list is in: hyperkeep jobs log ${done.id}`,
    );
  if (done.status === 'succeeded' && result.uuid)
    console.log(`  VM ${result.vm} has UUID ${result.uuid}; MACs: ${result.macs?.join(', ')}`);
  return code;
}

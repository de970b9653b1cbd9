import type { Command } from 'commander';
import type { Job } from '../../../shared/domain/jobs';
import { HyperkeepError } from '../../../shared/errors';
import type { EngineClient } from '../engine-client';
import { printJson } from '../output';
import { dateTime, usageError } from '../usage';
import { reportJob, waitForJob } from './backup';

/** A `restore …` subcommand with what every restore takes: the VM, the point, --wait/--no-wait. */
export function restoreSubcommand(restore: Command, name: string, description: string): Command {
  return restore
    .command(name)
    .description(description)
    .requiredOption('--vm <name>', 'VM name or UUID')
    .option('--point <id>', 'restore point id (default: the latest; see: hyperkeep points --vm VM)')
    .option(
      '--at <iso-time>',
      'the newest point at or before this time, e.g. 2025-03-14T02:00:00Z',
      dateTime,
    )
    .option('--wait', 'follow the job to its end and exit non-zero if it failed (the default)')
    .option('--no-wait', 'print the job id and return (with a running `hyperkeep serve`)');
}

export interface PointChoice {
  vm: string;
  point?: string;
  at?: string;
}

/**
 * The restore point a restore uses, as `ls` picks it: --point as given, else the newest point at
 * or before --at, else the latest. A chosen point is named, so that a person sees which data
 * comes back (under --json the job's title has the point's time).
 */
export async function choosePoint(
  client: EngineClient,
  { vm, point, at }: PointChoice,
  json: boolean,
): Promise<string> {
  if (point !== undefined && at !== undefined)
    throw usageError('Give either --point or --at, not both.');
  if (point !== undefined) return point;
  let moment: Date | undefined;
  if (at !== undefined) {
    moment = new Date(at);
    if (Number.isNaN(moment.getTime()))
      throw usageError(
        `--at "${at}" is not a date and time (use ISO 8601, e.g. 2025-03-14T02:00:00+01:00).`,
      );
  }
  const points = await client.call('points.list', { vm }); // newest first
  const oldest = points.at(-1);
  if (!oldest)
    throw new HyperkeepError(
      'NOT_FOUND',
      `VM "${vm}" has no restore points (see: hyperkeep points; back it up first).`,
    );
  const chosen = moment
    ? points.find((p) => new Date(p.time).getTime() <= moment.getTime())
    : points[0];
  if (!chosen)
    throw new HyperkeepError(
      'NOT_FOUND',
      `VM "${vm}" has no restore point at or before ${at} (the oldest is from ${oldest.time}).`,
    );
  if (!json)
    console.log(
      `Restoring from restore point ${chosen.id} of ${chosen.vmName} (${chosen.time}${moment ? `, the newest at or before ${at}` : ', the latest'}).`,
    );
  return chosen.id;
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

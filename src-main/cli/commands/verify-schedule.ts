import type { Command } from 'commander';
import type { VerifyScheduleView } from '../../../shared/domain/verify-schedule';
import type { Run } from '../context';
import { printJson } from '../output';
import { usageError } from '../usage';

interface Options {
  on?: boolean;
  off?: boolean;
  cron?: string;
  timezone?: string;
  readData?: boolean;
}

function show(s: VerifyScheduleView): void {
  if (!s.enabled) {
    console.log(`Repository ${s.repository} is not verified on a schedule.`);
    return;
  }
  console.log(
    `Repository ${s.repository} verifies itself at "${s.cron}" (${s.timezone})${s.readData ? ', reading all data' : ', metadata only'}.`,
  );
  for (const run of s.nextRuns) console.log(`  next: ${run}`);
}

/** `repo verify-schedule NAME`: show or change when a repository verifies itself unattended. */
export function registerVerifyScheduleCommand(repo: Command, run: Run): void {
  repo
    .command('verify-schedule')
    .argument('<name>', 'repository')
    .description(
      'show or set when the engine verifies a repository by itself (serve or the app must run)',
    )
    .option('--on', 'turn the schedule on')
    .option('--off', 'turn the schedule off')
    .option('--cron <expression>', 'cron expression, e.g. "0 3 * * 0" (Sundays 03:00)')
    .option('--timezone <zone>', 'IANA time zone of the expression, e.g. Europe/Berlin')
    .option('--read-data', 're-read and re-hash every chunk')
    .option('--no-read-data', 'check metadata only')
    .action((name: string, o: Options) =>
      run(async ({ client, json }) => {
        if (o.on && o.off) throw usageError('--on and --off exclude each other.');
        const current = await client.call('repo.verifySchedule', { name });
        const changes = o.on || o.off || o.cron || o.timezone || o.readData !== undefined;
        const result = !changes
          ? current
          : await client.call('repo.setVerifySchedule', {
              name,
              schedule: {
                enabled: o.on ? true : o.off ? false : current.enabled,
                cron: o.cron ?? current.cron,
                timezone: o.timezone ?? current.timezone,
                readData: o.readData ?? current.readData,
              },
            });
        if (json) printJson(result);
        else show(result);
      }),
    );
}

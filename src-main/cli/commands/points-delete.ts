import type { Command } from 'commander';
import type { RestorePoint } from '../../../shared/domain/jobs';
import type { Run } from '../context';
import { usageError } from '../usage';
import { reportJob, waitForJob } from './backup';
import { printPruneOutcome } from './prune-report';

/**
 * The repository of the points named: --repository when given, else the one repository all
 * the named points found here are in. Ids found nowhere are left for the engine to refuse by
 * name, so the error lists every one of them.
 */
export function repositoryOf(
  ids: readonly string[],
  all: readonly RestorePoint[],
  given?: string,
): string {
  if (given) return given;
  const wanted = new Set(ids);
  const repositories = [...new Set(all.filter((p) => wanted.has(p.id)).map((p) => p.repository))];
  if (repositories.length > 1)
    throw usageError(
      `The points named are in ${repositories.length} repositories (${repositories.join(', ')}): delete them one repository at a time, with --repository.`,
    );
  return repositories[0] ?? 'default';
}

/** `points delete`: chosen restore points go, then the space no other point uses comes back. */
export function registerPointsDelete(points: Command, run: Run): void {
  points
    .command('delete')
    .description(
      'delete restore points by id (or every point of a VM with --vm VM --all), then free the space no other point uses',
    )
    .argument('[id...]', 'restore point ids (see: hyperkeep points --vm VM)')
    .option('--vm <name>', 'with --all: the VM whose points all go (name or UUID)')
    .option('--all', 'every restore point of --vm')
    .option('--repository <name>', 'the repository of the points (default: the one they are in)')
    .option('--dry-run', 'only say what would be deleted')
    .action((ids: string[], _options: unknown, command: Command) => {
      // `points` has a --vm of its own, which commander fills first: read both levels.
      const o = command.optsWithGlobals<{
        vm?: string;
        all?: boolean;
        repository?: string;
        dryRun?: boolean;
      }>();
      return run(async ({ client, json }) => {
        if (ids.length > 0 && (o.vm || o.all))
          throw usageError('Name restore point ids, or --vm with --all, not both.');
        if (ids.length === 0 && !(o.vm && o.all))
          throw usageError(
            'Name the restore points to delete by id, or every point of a VM with --vm VM --all.',
          );
        let chosen = ids;
        let repository = o.repository;
        if (o.vm) {
          const ofVm = (await client.call('points.list', { vm: o.vm })).filter(
            (p) => !o.repository || p.repository.toLowerCase() === o.repository.toLowerCase(),
          );
          if (ofVm.length === 0)
            throw usageError(
              `VM "${o.vm}" has no restore points${o.repository ? ` in repository ${o.repository}` : ''} (see: hyperkeep points).`,
            );
          chosen = ofVm.map((p) => p.id);
          repository = repositoryOf(chosen, ofVm, o.repository);
        } else repository = repositoryOf(ids, await client.call('points.list', {}), repository);
        const job = await client.call('points.delete', {
          repository,
          ids: chosen,
          dryRun: Boolean(o.dryRun),
        });
        const ended = await waitForJob(client, job, json);
        const code = reportJob(ended, json);
        if (!json) printPruneOutcome(ended);
        return code;
      });
    });
}

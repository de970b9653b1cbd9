import type { Command } from 'commander';
import type { RestorePoint } from '../../../shared/domain/jobs';
import type { Run } from '../context';
import { printJson } from '../output';
import { repositoryOf } from './points-delete';

function describe(point: RestorePoint): string {
  const what = `Restore point ${point.id} of ${point.vmName} (${point.time})`;
  return point.protection
    ? `${what} is protected${point.protection.reason ? `: ${point.protection.reason}` : ''}. Retention keeps it; it cannot be deleted until the protection is lifted.`
    : `${what} is no longer protected: its subclient's retention decides again when it goes.`;
}

/** `points protect` / `points unprotect`: keep a point whatever the retention says, or stop. */
export function registerPointsProtect(points: Command, run: Run): void {
  points
    .command('protect')
    .description(
      'protect a restore point: retention keeps it and it cannot be deleted until unprotected',
    )
    .argument('<id>', 'restore point id (see: hyperkeep points --vm VM)')
    .option('--reason <text>', 'why (shown with the point), e.g. "before the upgrade to 12.4"')
    .option('--repository <name>', 'the repository of the point (default: the one it is in)')
    .action((id: string, o: { reason?: string; repository?: string }) =>
      run(async ({ client, json }) => {
        const repository = repositoryOf([id], await client.call('points.list', {}), o.repository);
        const point = await client.call('points.protect', {
          repository,
          id,
          reason: o.reason ?? '',
        });
        if (json) printJson(point);
        else console.log(describe(point));
      }),
    );

  points
    .command('unprotect')
    .description('lift the protection of a restore point')
    .argument('<id>', 'restore point id')
    .option('--repository <name>', 'the repository of the point (default: the one it is in)')
    .action((id: string, o: { repository?: string }) =>
      run(async ({ client, json }) => {
        const repository = repositoryOf([id], await client.call('points.list', {}), o.repository);
        const point = await client.call('points.unprotect', { repository, id });
        if (json) printJson(point);
        else console.log(describe(point));
      }),
    );
}

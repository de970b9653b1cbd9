import { InvalidArgumentError, type Command } from 'commander';
import type { RepositoryInfo } from '../../../shared/domain/jobs';
import { HyperkeepError } from '../../../shared/errors';
import type { Run } from '../context';
import { formatBytes, printJson, printTable } from '../output';
import { fullPath, usageError } from '../usage';
import { readPassphrase, reportJob, waitForJob } from './backup';
import { printPruneOutcome } from './prune-report';
import { registerRepoPasswdCommand } from './repo-passwd';
import { registerVerifyScheduleCommand } from './verify-schedule';

function printInfo(info: RepositoryInfo): void {
  console.log(
    `Repository ${info.name} at ${info.location} (${info.encrypted ? 'encrypted' : 'NOT encrypted'}, ${info.compressionLevel === 0 ? 'not compressed' : `zstd level ${info.compressionLevel}`}, id ${info.repositoryId})`,
  );
  console.log(
    `  ${info.points} restore points, ${formatBytes(info.logicalBytes)} of VM data stored in ${formatBytes(info.storedBytes)}`,
  );
  // Ratios of nothing are not 1.00×: an empty repository has none yet.
  if (info.logicalBytes > 0)
    console.log(
      `  dedup ${info.dedupRatio.toFixed(2)}×, compression ${info.compressionRatio.toFixed(2)}×`,
    );
}

/** The engine's "enter its passphrase" is for the console's dialog; the CLI cannot ask. */
function passphraseHint(err: unknown): unknown {
  if (!(err instanceof HyperkeepError) || err.details?.['reason'] !== 'PASSPHRASE_REQUIRED')
    return err;
  return new HyperkeepError(
    err.code,
    `${err.message.replace(/: enter its passphrase$/, '')}: set HYPERKEEP_PASSPHRASE or give --password-file FILE.`,
    err.details,
  );
}

function parseCompressionLevel(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 19)
    throw new InvalidArgumentError('Give a zstd level from 0 (off) to 19.');
  return n;
}

export function registerRepoCommands(program: Command, run: Run): void {
  const repo = program.command('repo').description('backup repositories');
  registerVerifyScheduleCommand(repo, run);
  registerRepoPasswdCommand(repo, run);

  repo
    .command('init')
    .description('create a repository (passphrase from HYPERKEEP_PASSPHRASE or --password-file)')
    .requiredOption('--path <dir>', 'an empty or new folder', fullPath)
    .option('--name <name>', 'name of the repository', 'default')
    .option('--encrypt', 'encrypt with a passphrase (default)')
    .option('--no-encrypt', 'store without encryption')
    .option('--password-file <file>', 'read the passphrase from this file')
    .option(
      '--compression-level <n>',
      'zstd level of the chunks: 0 off, 1 fast (default), 3 balanced, up to 19',
      parseCompressionLevel,
    )
    .action(
      (o: {
        path: string;
        name: string;
        encrypt?: boolean;
        passwordFile?: string;
        compressionLevel?: number;
      }) =>
        run(async ({ client, json }) => {
          const passphrase = readPassphrase(o.passwordFile);
          const info = await client.call('repo.init', {
            name: o.name,
            location: o.path,
            encrypt: o.encrypt ?? true,
            ...(passphrase ? { passphrase } : {}),
            ...(o.compressionLevel === undefined ? {} : { compressionLevel: o.compressionLevel }),
          });
          if (json) printJson(info);
          else {
            printInfo(info);
            if (info.encrypted)
              console.log('Keep the passphrase safe: without it the backups cannot be read.');
          }
        }),
    );

  repo
    .command('attach')
    .description(
      'use an existing repository (e.g. after the console machine was lost): its points come back',
    )
    .requiredOption('--path <dir>', 'the repository folder', fullPath)
    .option('--name <name>', 'name to give it here', 'default')
    .option('--password-file <file>', 'read the passphrase from this file')
    .action((o: { path: string; name: string; passwordFile?: string }) =>
      run(async ({ client, json }) => {
        const passphrase = readPassphrase(o.passwordFile);
        const info = await client
          .call('repo.attach', {
            name: o.name,
            location: o.path,
            ...(passphrase ? { passphrase } : {}),
          })
          .catch((err: unknown) => {
            throw passphraseHint(err);
          });
        if (json) printJson(info);
        else printInfo(info);
      }),
    );

  repo
    .command('info')
    .description('usage, dedup and compression of a repository')
    .option('--repository <name>', 'repository (default: "default")')
    .option('--name <name>', 'the same as --repository')
    .action((o: { repository?: string; name?: string }) =>
      run(async ({ client, json }) => {
        if (o.repository !== undefined && o.name !== undefined && o.repository !== o.name)
          throw usageError('--name is another spelling of --repository: give one of them.');
        const info = await client.call('repo.info', {
          name: o.repository ?? o.name ?? 'default',
        });
        if (json) printJson(info);
        else printInfo(info);
      }),
    );

  repo
    .command('list')
    .description('configured repositories')
    .action(() =>
      run(async ({ client, json }) => {
        const list = await client.call('repo.list', {});
        if (json) return printJson(list);
        printTable(
          ['NAME', 'LOCATION', 'ENCRYPTED', 'POINTS', 'STORED'],
          list.map((r) => [
            r.name,
            r.location,
            String(r.encrypted),
            r.points,
            formatBytes(r.storedBytes),
          ]),
        );
      }),
    );

  repo
    .command('remove')
    .description(
      'unregister a repository from this console; its folder and restore points stay on disk and can be attached again',
    )
    .argument('<name>', 'the repository to forget here')
    .action((name: string) =>
      run(async ({ client, json }) => {
        const removed = await client.call('repo.remove', { name });
        if (json) return printJson(removed);
        console.log(
          `Repository ${removed.name} removed from this console. Its ${removed.points} restore points are still in ${removed.location}: attach it again to use them.`,
        );
      }),
    );

  program
    .command('verify')
    .description('check that every restore point can be restored; --read-data re-reads every chunk')
    .option('--repository <name>', 'repository', 'default')
    .option('--read-data', 'decrypt and re-hash every chunk')
    .action((o: { repository: string; readData?: boolean }) =>
      run(async ({ client, json }) => {
        const job = await client.call('repo.verify', {
          name: o.repository,
          readData: Boolean(o.readData),
        });
        return reportJob(await waitForJob(client, job, json), json);
      }),
    );

  program
    .command('prune')
    .description(
      'forget restore points the retention of their subclient does not keep, and free the space',
    )
    .option('--repository <name>', 'repository', 'default')
    .option('--dry-run', 'only say what would be removed')
    .action((o: { repository: string; dryRun?: boolean }) =>
      run(async ({ client, json }) => {
        const job = await client.call('repo.prune', {
          name: o.repository,
          dryRun: Boolean(o.dryRun),
        });
        const ended = await waitForJob(client, job, json);
        const code = reportJob(ended, json);
        if (!json) printPruneOutcome(ended);
        return code;
      }),
    );
}

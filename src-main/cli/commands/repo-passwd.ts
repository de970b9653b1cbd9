import type { Command } from 'commander';
import type { Run } from '../context';
import { printJson } from '../output';
import { readPasswordFile } from '../password-file';
import { usageError } from '../usage';
import { readPassphrase } from './backup';

/**
 * `repo passwd NAME`: a new passphrase for an encrypted repository, as restic's `key passwd`.
 * Both secrets come from the environment or files, so it can run unattended (key rotation).
 */
export function registerRepoPasswdCommand(repo: Command, run: Run): void {
  repo
    .command('passwd')
    .argument('[name]', 'repository', 'default')
    .description(
      'change the passphrase of an encrypted repository (current one from HYPERKEEP_PASSPHRASE or --password-file, new one from HYPERKEEP_NEW_PASSPHRASE or --new-password-file)',
    )
    .option('--password-file <file>', 'read the current passphrase from this file')
    .option('--new-password-file <file>', 'read the new passphrase from this file')
    .action((name: string, o: { passwordFile?: string; newPasswordFile?: string }) =>
      run(async ({ client, json }) => {
        const current = readPassphrase(o.passwordFile);
        if (!current)
          throw usageError(
            'Give the current passphrase: set HYPERKEEP_PASSPHRASE or give --password-file FILE.',
          );
        const next = o.newPasswordFile
          ? readPasswordFile(o.newPasswordFile)
          : process.env.HYPERKEEP_NEW_PASSPHRASE || undefined;
        if (!next)
          throw usageError(
            'Give the new passphrase: set HYPERKEEP_NEW_PASSPHRASE or give --new-password-file FILE.',
          );
        const info = await client.call('repo.changePassphrase', { name, current, next });
        if (json) return printJson(info);
        console.log(
          `The passphrase of repository ${info.name} was changed; this console keeps the new one for its scheduled jobs.`,
        );
        console.log(
          'Other consoles that attached this repository must attach it again with the new passphrase. Keep it safe: without it the backups cannot be read.',
        );
      }),
    );
}

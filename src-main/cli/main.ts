import { Command } from 'commander';
import { version } from '../engine/version';
import { registerBackupCommands } from './commands/backup';
import { registerBackupSetCommands } from './commands/backupset';
import { registerFileCommands } from './commands/files';
import { registerHypervisorCommands } from './commands/hypervisor';
import { registerNotifyCommands } from './commands/notify';
import { registerRepoCommands } from './commands/repo';
import { registerRestoreCommands } from './commands/restore';
import { registerVmRestoreCommands } from './commands/restore-vm';
import { registerServeCommand } from './commands/serve';
import { registerSubclientCommands } from './commands/subclient';
import { registerVmCommands } from './commands/vm';
import { makeRunner } from './context';
import { EXIT_CODES_HELP, exitCodeOfParseError, installUsageErrors } from './usage';

export function buildProgram(): Command {
  const program = new Command('hyperkeep')
    .description('Agentless backup and restore of virtual machines')
    .version(version)
    .option(
      '--home <dir>',
      'data home (catalog, keys, logs); default $HYPERKEEP_HOME or the OS app-data folder',
    )
    .option('--json', 'machine-readable output')
    .addHelpText('after', EXIT_CODES_HELP);
  const run = makeRunner(program);
  registerServeCommand(program);
  registerHypervisorCommands(program, run);
  registerVmCommands(program, run);
  registerBackupSetCommands(program, run);
  registerSubclientCommands(program, run);
  registerRepoCommands(program, run);
  registerBackupCommands(program, run);
  registerFileCommands(program, run);
  registerVmRestoreCommands(program, registerRestoreCommands(program, run), run);
  registerNotifyCommands(program, run);
  installUsageErrors(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeOfParseError(err);
  }
}

import { CommanderError, InvalidArgumentError, type Command } from 'commander';
import { resolve } from 'node:path';
import { HyperkeepError } from '../../shared/errors';

/**
 * Exit codes a script can tell apart: a mistyped command (fix the call) is not a failed backup
 * (look at the job), and neither is a job that ended with some of its work not done.
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  /** the command line is wrong: unknown command or option, missing or invalid value */
  usage: 2,
  /** the work ran but part of it failed (some VMs, some hypervisors) */
  partial: 3,
} as const;

export const EXIT_CODES_HELP = `
Exit status:
  0  success
  1  failure (the command or its job failed)
  2  usage error (unknown command or option, missing or invalid value)
  3  partial success (some VMs or hypervisors failed; see the job)`;

/** An error in how the command was called, found by the CLI itself: exits with EXIT.usage. */
export function usageError(message: string): HyperkeepError {
  return new HyperkeepError('INVALID_INPUT', message, { usage: true });
}

export function isUsageError(err: unknown): boolean {
  return err instanceof HyperkeepError && err.details?.['usage'] === true;
}

/**
 * An option parser for counts. Commander prefixes the message: "option '--limit <n>' argument
 * 'abc' is invalid. Give a whole number from 1 to 100000."
 */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `of ${min} or more` : `from ${min} to ${max}`;
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`Give a whole number ${range}.`);
    return n;
  };
}

/** An option parser for a moment (--at): what the engine accepts, refused here as a usage error. */
export function dateTime(value: string): string {
  if (Number.isNaN(new Date(value).getTime()))
    throw new InvalidArgumentError(
      'Give a date and time in ISO 8601, e.g. 2025-03-14T02:00:00+01:00.',
    );
  return value;
}

/**
 * An option parser for a folder: relative to the shell's current folder, as restic and borg take
 * it (the engine itself, maybe a `serve` started elsewhere, accepts only full paths).
 */
export function fullPath(value: string): string {
  return resolve(value);
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Commander's own errors (unknown command, missing option, invalid value) as one short line
 * naming the help to read, or as the `{error}` object under --json, instead of the whole help.
 */
function reportUsage(program: Command, command: Command, raw: string): void {
  // Commander writes "error: …"; the rest of the CLI writes "hyperkeep: …".
  const message = raw.trim().replace(/^error: /, '');
  const help = `${commandPath(command)} --help`;
  if (program.opts<{ json?: boolean }>().json)
    console.log(
      JSON.stringify(
        { error: { code: 'INVALID_INPUT', message, details: { usage: true, help } } },
        null,
        2,
      ),
    );
  else console.error(`hyperkeep: ${message}\n(see: ${help})`);
}

/** Call after every command is registered: settings given to the program reach only later ones. */
export function installUsageErrors(program: Command): void {
  const visit = (command: Command) => {
    command
      .configureOutput({ outputError: (text) => reportUsage(program, command, text) })
      .exitOverride();
    command.commands.forEach(visit);
  };
  visit(program);
}

/** What parseAsync threw: commander's exits become exit codes, anything else is a real error. */
export function exitCodeOfParseError(err: unknown): number {
  if (!(err instanceof CommanderError)) throw err;
  // --help and --version end with 0; a usage error (and help shown for a missing command) with 2.
  return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
}

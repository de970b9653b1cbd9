/**
 * The hyperkeep CLI run from the tree's sources in a child process (`node --import tsx`), on a
 * home the test chooses, as an administrator's shell runs it: for tests of what the CLI prints,
 * its exit codes and what its own engine does.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { nodePath } from './serve';

const CLI_ENTRY = resolve(import.meta.dirname, '../integration/backup/cli-from-source.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `home()` is read at each call, so a test may switch homes (a second console). */
export function cliFromSource(home: () => string) {
  /** `env` is added to this process's environment (secrets such as HYPERKEEP_PASSPHRASE). */
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> => {
    const child = spawn(nodePath, ['--import', 'tsx', CLI_ENTRY, '--home', home(), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((done) => child.on('exit', (code) => done({ code, stdout, stderr })));
  };
  /** Its standard output; the test fails (showing what it said) unless it exits 0. */
  const cliOk = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> => {
    const result = await cli(args, env);
    expect(result.code, `${args.join(' ')}: ${result.stderr}${result.stdout}`).toBe(0);
    return result.stdout;
  };
  /** The command run with --json, parsed. */
  const cliJson = async <T>(args: string[]): Promise<T> =>
    JSON.parse(await cliOk(['--json', ...args])) as T;
  return { cli, cliOk, cliJson };
}

import { spawn } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { HyperkeepError } from '../../shared/errors';

export interface RunOptions {
  /** Written to the child's stdin (sfdisk scripts). */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /**
   * Resolve when the process exits instead of when its pipes close. Needed for daemons that fork
   * (`libvirtd -d`): the background child may keep an inherited pipe open for a while.
   */
  untilExit?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion; a non-zero exit becomes an error that quotes the tool's own words. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const shown = `${cmd} ${args.join(' ')}`;
      if (timedOut) {
        reject(new HyperkeepError('TIMEOUT', `${shown} did not finish within ${timeoutMs} ms`));
      } else if (code !== 0) {
        const why = stderr.trim() || stdout.trim() || `exit ${code ?? signal}`;
        reject(new HyperkeepError('INTERNAL', `${shown} failed: ${why}`, { code, signal }));
      } else {
        resolve({ stdout, stderr });
      }
    };
    child.on('error', (e) => {
      clearTimeout(timer);
      const hint = (e as NodeJS.ErrnoException).code === 'ENOENT' ? ' (is it installed?)' : '';
      reject(new HyperkeepError('INTERNAL', `Cannot run ${cmd}${hint}: ${e.message}`));
    });
    child.on(opts.untilExit ? 'exit' : 'close', finish);
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/**
 * Runs virsh against a lab host and returns its standard output. Tests use it to look at the lab
 * the way an administrator would.
 */
export async function virsh(uri: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('virsh', ['-c', uri, ...args], {
    timeoutMs: 60_000,
    // Untranslated messages and plain number formats, so callers can parse what virsh prints.
    env: { ...process.env, LC_ALL: 'C' },
  });
  return stdout;
}

/** True while the process exists and is not a zombie (PID 1 may never reap our daemons). */
export async function isAlive(pid: number): Promise<boolean> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The state letter follows the command name, which is in parentheses and may contain spaces.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X' && state !== '';
}

/** The program a pid runs, so we never signal a recycled pid that now belongs to someone else. */
export async function commandOf(pid: number): Promise<string> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0')[0] ?? '';
  } catch {
    return '';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Asks a process to stop, waits, and insists with SIGKILL if it lingers. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  if (!(await isAlive(pid))) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid))) return;
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && (await isAlive(pid)); i++) await sleep(50);
  if (await isAlive(pid)) {
    throw new HyperkeepError('TIMEOUT', `Process ${pid} survived SIGKILL; stop it by hand`);
  }
}

/** Reads a pid file; null when it is missing or holds no number. */
export async function readPidFile(path: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export async function pathExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

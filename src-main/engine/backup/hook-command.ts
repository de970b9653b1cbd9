import { spawn } from 'node:child_process';
import { HyperkeepError } from '../../../shared/errors';

export interface HookCommandOptions {
  /** 'pre-backup' or 'post-backup', as messages name it. */
  what: string;
  command: string;
  /** Added to this process's environment: HK_VM_NAME, HK_VM_UUID, HK_STATUS, … */
  env: Record<string, string>;
  timeoutSeconds: number;
  signal: AbortSignal;
  log(line: string): void;
}

/** Output lines kept for the job log; a chatty script must not flood it. */
const MAX_LOGGED_LINES = 200;
const MAX_LINE = 1000;

/**
 * Runs an administrator's pre/post command through /bin/sh on this machine, its output going to
 * the job log. It runs in its own process group so a timeout or cancel stops everything it
 * started. Throws when it exits non-zero, times out or is cancelled.
 */
export function runHookCommand(options: HookCommandOptions): Promise<void> {
  const { what, command, signal } = options;
  if (signal.aborted) {
    return Promise.reject(
      new HyperkeepError('CANCELLED', `The ${what} command was not started: cancelled`),
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let logged = 0;
    let lastLine = '';
    const onOutput = (chunk: Buffer): void => {
      for (const raw of chunk.toString('utf8').split('\n')) {
        const line = raw.trimEnd();
        if (line === '') continue;
        lastLine = line.slice(0, MAX_LINE);
        if (logged < MAX_LOGGED_LINES) options.log(`${what} command: ${lastLine}`);
        else if (logged === MAX_LOGGED_LINES)
          options.log(`${what} command: (further output not logged)`);
        logged++;
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    let stopped: HyperkeepError | undefined;
    const stop = (err: HyperkeepError): void => {
      stopped ??= err;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(
      () =>
        stop(
          new HyperkeepError(
            'TIMEOUT',
            `The ${what} command did not finish within ${options.timeoutSeconds} s and was stopped`,
          ),
        ),
      options.timeoutSeconds * 1000,
    );
    const onAbort = (): void =>
      stop(
        new HyperkeepError(
          'CANCELLED',
          `The ${what} command was stopped: the backup was cancelled`,
        ),
      );
    signal.addEventListener('abort', onAbort, { once: true });
    const done = (err?: HyperkeepError): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    child.on('error', (err) =>
      done(new HyperkeepError('INTERNAL', `Cannot run the ${what} command: ${err.message}`)),
    );
    child.on('close', (code, sig) => {
      if (stopped) return done(stopped);
      if (code === 0) return done();
      const how = code === null ? `was killed by ${sig}` : `exited with code ${code}`;
      const said = lastLine ? `: ${lastLine}` : '';
      done(new HyperkeepError('INTERNAL', `The ${what} command ${how}${said}`, { command, code }));
    });
  });
}

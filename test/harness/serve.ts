import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export interface RunningServe {
  /** The login URL, carrying the token. */
  url: string;
  /** The server's base URL without the token. */
  baseUrl: string;
  token: string;
  home: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const repoRoot = resolve(import.meta.dirname, '../..');
export const cliPath = join(repoRoot, 'bin/hyperkeep.js');
export const nodePath = join(repoRoot, 'node_modules/.bin/node');

/** Starts the real `hyperkeep serve` (the built bundle) on a fresh data home, like a user would. */
export async function startServe(
  options: { home?: string; env?: Record<string, string> } = {},
): Promise<RunningServe> {
  if (
    !existsSync(join(repoRoot, 'out/cli/hyperkeep.js')) ||
    !existsSync(join(repoRoot, 'out/renderer/index.html'))
  ) {
    throw new Error('Hyperkeep is not built: run `make build` before the e2e tests.');
  }
  const ownsHome = !options.home;
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'hyperkeep-e2e-'));
  const child = spawn(nodePath, [cliPath, '--home', home, '--json', 'serve'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const firstLine = await new Promise<string>((resolveLine, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => reject(new Error(`hyperkeep serve did not start within 20 s: ${stderr}`)),
      20_000,
    );
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolveLine(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hyperkeep serve exited with ${code}: ${stderr}`));
    });
  });
  const { url } = JSON.parse(firstLine) as { url: string };
  const parsed = new URL(url);
  const token = parsed.searchParams.get('token')!;
  return {
    url,
    baseUrl: parsed.origin,
    token,
    home,
    process: child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (ownsHome) rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Runs the real CLI and returns its exit code, stdout and stderr. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(nodePath, [cliPath, ...args], {
      env: { ...process.env, ...env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolveRun({ code: code ?? -1, stdout, stderr }));
  });
}

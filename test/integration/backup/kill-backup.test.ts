/**
 * The CLI as an administrator runs it, killed with SIGKILL in the middle of a real VM backup:
 * the repository still verifies, the libvirt backup job and checkpoint the dead process left on
 * the domain do not block the next backup, and that backup restores to the VM's disk. Also: a
 * repository whose passphrase no longer matches the one the home stored fails the VM backup
 * with a message that says what to do.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalDirectoryBackend } from '../../../src-main/engine/repository/backends/local-directory';
import { Repository } from '../../../src-main/engine/repository/repository';
import { sleep, virsh } from '../../harness/exec';
import { nodePath } from '../../harness/serve';
import { deleteOurCheckpoints, expectSameContent } from './backup-helpers';

const lab = inject('lab');
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;
const web = lab.vms.find((v) => v.name === 'lab-web-01')!;
/** The CLI from source (src-main/cli/main.ts) through tsx: the code under test, no build step. */
const CLI_ENTRY = resolve(import.meta.dirname, 'cli-from-source.ts');
const PASSPHRASE = 'kill test passphrase';

let scratch: string;
let home: string;
let repoDir: string;

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(nodePath, ['--import', 'tsx', CLI_ENTRY, '--home', home, ...args], {
    env: { ...process.env, HYPERKEEP_PASSPHRASE: PASSPHRASE, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolveRun) =>
    child.on('exit', (code, signal) => resolveRun({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => startCli(args, env).done;

async function cliJson<T>(args: string[]): Promise<T> {
  const result = await cli(['--json', ...args]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** Whether libvirt reports a backup job on the domain (ours, begun but not yet ended). */
async function backupJobActive(): Promise<boolean> {
  const out = await virsh(host1.uri, 'domjobinfo', web.name).catch(() => '');
  return /Job type:\s+Unbounded/i.test(out) && /Operation:\s+Backup/i.test(out);
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hk-kill-backup-'));
  home = join(scratch, 'home');
  repoDir = join(scratch, 'repo');
  await deleteOurCheckpoints(host1.uri, web.name);
  const added = await cli(['hypervisor', 'add', '--name', host1.name, '--uri', host1.uri]);
  expect(added.code, added.stderr).toBe(0);
  const init = await cli(['repo', 'init', '--path', repoDir]);
  expect(init.code, init.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await virsh(host1.uri, 'domjobabort', web.name).catch(() => undefined);
  await virsh(host1.uri, 'resume', web.name).catch(() => undefined);
  await deleteOurCheckpoints(host1.uri, web.name).catch(() => undefined);
  await rm(scratch, { recursive: true, force: true });
});

describe('kill -9 of a running VM backup', () => {
  it('leaves a repository that verifies, and the next backup succeeds and restores', async () => {
    const backup = startCli(['backup', '--vm', web.name, '--wait']);
    // Kill once libvirt runs the backup job: the checkpoint exists, NBD is exported, the
    // repository lock is held and data is being read.
    for (let i = 0; !(await backupJobActive()); i++) {
      expect(i, 'the backup job never started on the domain').toBeLessThan(600);
      await sleep(50);
    }
    backup.child.kill('SIGKILL');
    const killed = await backup.done;
    expect(killed.signal, `the backup ended before the kill: ${killed.stdout}`).toBe('SIGKILL');

    // What the dead process left on the VM. On a fast machine the kill may land after the disks
    // were read (commit or cataloging): then libvirt's job is over already, and whatever point
    // committed must be a whole one. Either way the checks below must hold.
    const killedWhileReading = await backupJobActive();
    const pointsBefore = await cliJson<unknown[]>(['points', '--vm', web.name]);
    if (killedWhileReading) expect(pointsBefore).toEqual([]);

    const verify = await cli(['verify', '--read-data']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    const next = await cliJson<{ status: string; tasks: { message?: string }[] }>([
      'backup',
      '--vm',
      web.name,
      '--wait',
    ]);
    expect(next.status, JSON.stringify(next.tasks)).toBe('succeeded');
    expect(await backupJobActive()).toBe(false);
    const checkpoints = (await virsh(host1.uri, 'checkpoint-list', web.name, '--name'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('hk-'));
    if (killedWhileReading)
      expect(checkpoints, 'only the new point’s checkpoint stays').toHaveLength(1);
    else expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    const deadPid = backup.child.pid!;
    const leftovers = (await readdir(tmpdir())).filter((n) =>
      n.startsWith(`hyperkeep-backup-${deadPid}-`),
    );
    expect(leftovers, 'the dead job’s NBD/scratch folder is removed').toEqual([]);

    // Newest first: the point of the backup after the kill.
    const points = await cliJson<{ id: string }[]>(['points', '--vm', web.name]);
    expect(points).toHaveLength(pointsBefore.length + 1);
    const restored = join(scratch, 'vda.raw');
    const restore = await cli([
      'restore',
      'disk',
      '--vm',
      web.name,
      '--point',
      points[0]!.id,
      '--disk',
      'vda',
      '--format',
      'raw',
      '--dest',
      restored,
    ]);
    expect(restore.code, restore.stderr).toBe(0);
    await virsh(host1.uri, 'suspend', web.name);
    try {
      await expectSameContent(restored, web.disks[0]!.path);
    } finally {
      await virsh(host1.uri, 'resume', web.name);
    }
    expect((await cli(['verify'])).code).toBe(0);
  }, 600_000);
});

describe('a wrong repository passphrase', () => {
  it('is refused by repo attach, from HYPERKEEP_PASSPHRASE and from --password-file', async () => {
    const attach = (extra: string[], env: NodeJS.ProcessEnv) =>
      startCli(['repo', 'attach', '--path', repoDir, '--name', 'again', ...extra], env).done;
    const fromEnv = await attach([], { HYPERKEEP_PASSPHRASE: 'not the passphrase' });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toContain(`Wrong passphrase for repository at ${repoDir}`);
    const file = join(scratch, 'wrong-pw');
    await writeFile(file, 'also wrong\n', { mode: 0o600 });
    const fromFile = await attach(['--password-file', file], {});
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toContain(`Wrong passphrase for repository at ${repoDir}`);
    expect(fromFile.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 300_000);

  it('fails the VM backup with what to do when the passphrase was changed elsewhere', async () => {
    // Another console changes the repository's passphrase: this home's stored one is now wrong.
    const repository = await Repository.open(new LocalDirectoryBackend(repoDir), {
      passphrase: PASSPHRASE,
    });
    await repository.changePassphrase('changed elsewhere');
    await repository.close();
    const result = await cli(['--json', 'backup', '--vm', web.name, '--wait']);
    expect(result.code).not.toBe(0);
    const job = JSON.parse(result.stdout) as { status: string; tasks: { message?: string }[] };
    expect(job.status).toBe('failed');
    expect(job.tasks[0]?.message).toMatch(
      /Wrong passphrase for repository at .*Attach .* again as "default" with its current passphrase/s,
    );
    // What the message says to do works: the same repository, attached again under its name.
    const again = await cli(['repo', 'attach', '--path', repoDir], {
      HYPERKEEP_PASSPHRASE: 'changed elsewhere',
    });
    expect(again.code, again.stderr).toBe(0);
    expect((await cli(['verify'])).code).toBe(0);
  }, 600_000);
});

/**
 * FIG. 12 "destination computer: the VM itself": files of a real lab-web-01 backup restored into
 * a running libvirt VM through a real QEMU guest agent (test/harness/agent-vm.ts: Debian's kernel
 * and qemu-ga booted from an initramfs), through the engine's handlers as the console and the CLI
 * call them. Everything is checked from inside the guest, through the agent, by virsh.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Job } from '../../../shared/domain/jobs';
import type { GuestAgentStatus } from '../../../shared/domain/restore';
import { dispatch } from '../../../src-main/engine/api/dispatch';
import { createHandlers, type Handlers } from '../../../src-main/engine/api/handlers';
import { Engine } from '../../../src-main/engine/engine';
import { startAgentVm, type AgentVm } from '../../harness/agent-vm';
import { run } from '../../harness/exec';
import {
  ALICE_UID,
  LAB_FILE_MTIME,
  UNICODE_NAME,
  WEB_NOTES,
  WEB_REPORT,
  deterministicBytes,
} from '../../harness/image-recipes';
import { fullBackupOfLabVm } from '../backup/backup-helpers';
import { PASSPHRASE, initRepo } from '../repository/helpers';
import { GOOD_TEXT, hostileExt4Image, pointFromImage, sha256Of } from '../restore/restore-fixtures';

const lab = inject('lab');
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;
const web = lab.vms.find((v) => v.name === 'lab-web-01')!;
const AGENT_VM = 'lab-agent-guest';
const MiB = 1024 * 1024;
const repoRoot = resolve(import.meta.dirname, '../../..');

let scratch: string;
let repoDir: string;
let pointId: string;
let hostilePoint: string;
let sparsePoint: string;
let sparseSha: string;
let guest: AgentVm;
let engine: Engine;
let handlers: Handlers;

async function call<T = Job>(channel: string, request: unknown): Promise<T> {
  const result = await dispatch(handlers, channel, request);
  if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
  return result.value as T;
}

async function restoreIntoGuest(request: Record<string, unknown>): Promise<Job> {
  const started = await call('restore.files', {
    vm: 'lab-web-01',
    pointId,
    destination: 'guest',
    guestVm: AGENT_VM,
    ...request,
  });
  return engine.jobs.wait(started.id);
}

/** sha256 of files inside the guest, by path, computed there. */
async function guestSha(paths: string[]): Promise<Map<string, string>> {
  const out = await guest.exec('/bin/sha256sum', paths);
  return new Map(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(66), l.slice(0, 64)] as const),
  );
}

async function guestRead(path: string): Promise<string> {
  return guest.exec('/bin/cat', [path]);
}

async function backupLabWeb(): Promise<void> {
  pointId = await fullBackupOfLabVm(host1.uri, web, await initRepo(repoDir));
}

/** A 3 MiB file with data at 0 and at 2 MiB, holes between and after: seeks, not zeros. */
async function sparseImage(): Promise<{ image: string; sha: string }> {
  const staging = join(scratch, 'sparse-staging');
  await mkdir(staging);
  const content = Buffer.alloc(3 * MiB);
  content.fill('head', 0, 4096);
  content.fill('mid!', 2 * MiB, 2 * MiB + 4096);
  const file = await open(join(staging, 'sparse.bin'), 'w');
  await file.write(content, 0, 4096, 0);
  await file.write(content, 2 * MiB, 4096, 2 * MiB);
  await file.truncate(3 * MiB);
  await file.close();
  const image = join(scratch, 'sparse.img');
  await run('truncate', ['-s', '16M', image]);
  await run('mkfs.ext4', ['-q', '-F', '-d', staging, image]);
  return { image, sha: sha256Of(content) };
}

async function hostileRepository(): Promise<string> {
  const dir = join(scratch, 'hostile-repo');
  const repository = await initRepo(dir);
  try {
    const sparse = await sparseImage();
    sparseSha = sparse.sha;
    sparsePoint = await pointFromImage(repository, sparse.image, 'vda', {
      uuid: '7d0c2a4e-1b3f-4c5d-8e9f-00000000b00d',
      name: 'sparse-vm',
    });
    hostilePoint = await pointFromImage(
      repository,
      await hostileExt4Image(scratch, '/outside'),
      'vda',
      { uuid: '7d0c2a4e-1b3f-4c5d-8e9f-00000000b00c', name: 'hostile-vm' },
    );
  } finally {
    await repository.close();
  }
  return dir;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hk-restore-guest-'));
  repoDir = join(scratch, 'repo');
  // The guest boots (seconds under TCG) while the backup runs.
  const [vm, , hostileDir] = await Promise.all([
    startAgentVm(host1.uri, AGENT_VM),
    backupLabWeb(),
    hostileRepository(),
  ]);
  guest = vm;
  console.log(`agent VM answered guest-ping ${guest.bootMs} ms after virsh start`);
  engine = Engine.open({ home: join(scratch, 'home'), mode: 'cli' });
  handlers = createHandlers(engine);
  await call('repo.attach', { name: 'default', location: repoDir, passphrase: PASSPHRASE });
  await call('repo.attach', { name: 'hostile', location: hostileDir, passphrase: PASSPHRASE });
  await call('hypervisor.add', { name: 'lab-host-1', type: 'libvirt', uri: host1.uri });
}, 120_000);

afterAll(async () => {
  await engine?.close();
  await guest?.remove();
  await rm(scratch, { recursive: true, force: true });
});

describe('file restore into a VM through its QEMU guest agent', () => {
  it('tells which VM can take files: agent answering or not', async () => {
    const ready = await call<GuestAgentStatus>('vm.guestAgentStatus', { vm: AGENT_VM });
    expect(ready).toMatchObject({ vm: AGENT_VM, vmUuid: guest.uuid, available: true });
    expect(ready.agentVersion).toMatch(/^\d+\.\d+/);
    const none = await call<GuestAgentStatus>('vm.guestAgentStatus', { vm: 'lab-web-01' });
    expect(none).toMatchObject({ vm: 'lab-web-01', available: false });
    expect(none.message).toMatch(/QEMU guest agent is not running in VM lab-web-01/);
  });

  it('refuses a VM without an agent at once, with the reason', async () => {
    await expect(
      restoreIntoGuest({ paths: ['/vda1/etc/hostname'], dest: '/restore', guestVm: 'lab-web-01' }),
    ).rejects.toMatchObject({
      code: 'HYPERVISOR_ERROR',
      message: expect.stringMatching(/QEMU guest agent is not running in VM lab-web-01/),
    });
    await expect(
      restoreIntoGuest({ paths: ['/vda1/etc/hostname'], dest: 'relative/dir' }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/must be an absolute path/) });
  });

  it('restores files and a folder with "remove 1 level": contents, modes, owners, times', async () => {
    const job = await restoreIntoGuest({
      paths: ['/vda1/home/alice', '/vda1/etc/hostname'],
      dest: '/restore/one',
      pathMode: { kind: 'strip', levels: 1 },
    });
    expect({ status: job.status, error: job.error, result: job.result }).toMatchObject({
      status: 'succeeded',
    });
    expect(job.bytesTotal).toBeGreaterThan(MiB);
    expect(job.bytesDone).toBe(job.bytesTotal);
    expect(job.result).toMatchObject({ dest: '/restore/one', skipped: [], failed: 0 });
    expect(job.result).toMatchObject({ files: 6, folders: 2, symlinks: 1 });
    const base = '/restore/one/home/alice';
    const sums = await guestSha([
      `${base}/notes.txt`,
      `${base}/docs/report.txt`,
      `${base}/docs/data.bin`,
      `${base}/${UNICODE_NAME}`,
      `${base}/empty.txt`,
      '/restore/one/etc/hostname',
    ]);
    expect(sums.get(`${base}/notes.txt`)).toBe(sha256Of(WEB_NOTES));
    expect(sums.get(`${base}/docs/report.txt`)).toBe(sha256Of(WEB_REPORT));
    expect(sums.get(`${base}/docs/data.bin`)).toBe(sha256Of(deterministicBytes(7, MiB)));
    expect(sums.get(`${base}/${UNICODE_NAME}`)).toBe(sha256Of('Ünïcödé content ✓\n'));
    expect(sums.get(`${base}/empty.txt`)).toBe(sha256Of(''));
    expect(sums.get('/restore/one/etc/hostname')).toBe(sha256Of('lab-web-01\n'));
    expect((await guest.exec('/bin/readlink', [`${base}/latest-report`])).trim()).toBe(
      'docs/report.txt',
    );
    // busybox stat: mode, uid, mtime of a file and of a folder (set after its content).
    const stat = await guest.exec('/bin/stat', [
      '-c',
      '%a %u %Y',
      `${base}/notes.txt`,
      `${base}/docs`,
    ]);
    const mtime = LAB_FILE_MTIME.getTime() / 1000;
    expect(stat.trim().split('\n')).toEqual([
      `644 ${ALICE_UID} ${mtime}`,
      expect.stringMatching(new RegExp(`^\\d+ ${ALICE_UID} ${mtime}$`)),
    ]);
  });

  it('keeps, renames beside, or overwrites a file that exists in the guest', async () => {
    const notes = '/restore/one/home/alice/notes.txt';
    await guest.exec('/bin/sh', ['-c', 'echo edited in the guest > "$1"', 'sh', notes]);
    const request = {
      paths: ['/vda1/home/alice/notes.txt'],
      dest: '/restore/one/home/alice',
      pathMode: { kind: 'keepLast', levels: 1 },
    };
    const skipped = await restoreIntoGuest({ ...request, conflict: 'skip' });
    expect(skipped.status).toBe('succeeded');
    expect(skipped.result).toMatchObject({
      files: 0,
      skipped: [
        { path: '/vda1/home/alice/notes.txt', reason: 'it already exists in the destination' },
      ],
    });
    expect(await guestRead(notes)).toBe('edited in the guest\n');

    const renamed = await restoreIntoGuest({ ...request, conflict: 'rename' });
    expect(renamed.result).toMatchObject({ files: 1, skipped: [] });
    expect(await guestRead('/restore/one/home/alice/notes (1).txt')).toBe(WEB_NOTES);
    const again = await restoreIntoGuest({ ...request, conflict: 'rename' });
    expect(again.result).toMatchObject({ files: 1 });
    expect(await guestRead('/restore/one/home/alice/notes (2).txt')).toBe(WEB_NOTES);
    expect(await guestRead(notes)).toBe('edited in the guest\n');

    const overwritten = await restoreIntoGuest({ ...request, conflict: 'overwrite' });
    expect(overwritten.result).toMatchObject({ files: 1, skipped: [] });
    expect(await guestRead(notes)).toBe(WEB_NOTES);
  });

  it('keeps the holes of a sparse file as holes, with its exact size', async () => {
    const started = await call('restore.files', {
      vm: 'sparse-vm',
      pointId: sparsePoint,
      paths: ['/vda/sparse.bin'],
      destination: 'guest',
      guestVm: AGENT_VM,
      dest: '/restore/sparse',
      pathMode: { kind: 'keepLast', levels: 1 },
    });
    const job = await engine.jobs.wait(started.id);
    expect(job.status).toBe('succeeded');
    expect(job.bytesDone).toBe(3 * MiB);
    const file = '/restore/sparse/sparse.bin';
    expect((await guestSha([file])).get(file)).toBe(sparseSha);
    // busybox stat: size in bytes, blocks of 512 bytes: 8 KiB of data, not 3 MiB.
    const [size, blocks] = (await guest.exec('/bin/stat', ['-c', '%s %b', file])).trim().split(' ');
    expect(Number(size)).toBe(3 * MiB);
    expect(Number(blocks) * 512).toBeLessThan(64 * 1024);
  });

  it('cancels mid-file and leaves no half-written file in the guest', async () => {
    const started = await call('restore.files', {
      vm: 'lab-web-01',
      pointId,
      destination: 'guest',
      guestVm: AGENT_VM,
      paths: ['/vda1/home/alice/docs/data.bin'],
      dest: '/restore/cancel',
      pathMode: { kind: 'keepLast', levels: 1 },
    });
    // Cancel once some of the file went over (the agent writes 128 KiB per command).
    for (let i = 0; i < 600 && (engine.jobs.get(started.id).bytesDone ?? 0) === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(engine.jobs.get(started.id).bytesDone).toBeGreaterThan(0);
    engine.jobs.cancel(started.id);
    const job = await engine.jobs.wait(started.id);
    expect(job.status).toBe('cancelled');
    // Who cancelled, not which agent command was cut short.
    expect(job.tasks[0]).toMatchObject({
      status: 'cancelled',
      message: 'Cancelled by the administrator.',
    });
    expect({
      left: await guest.exec('/bin/ls', ['-A', '/restore/cancel']),
      log: engine.jobs.log(started.id),
    }).toMatchObject({ left: '' });
  });

  it('writes hostile names nowhere but inside the destination, and says why each was refused', async () => {
    const started = await call('restore.files', {
      vm: 'hostile-vm',
      pointId: hostilePoint,
      paths: ['/vda'],
      destination: 'guest',
      guestVm: AGENT_VM,
      dest: '/restore/hostile',
      conflict: 'overwrite',
      pathMode: { kind: 'strip', levels: 1 },
    });
    const job = await engine.jobs.wait(started.id);
    const result = job.result as { skipped: { path: string; reason: string }[]; failed: number };
    expect(result.failed).toBe(0);
    const tree = await guest.exec('/bin/sh', ['-c', 'cd /restore/hostile && find . | sort']);
    expect(tree.trim().split('\n')).toEqual(
      expect.arrayContaining([
        './good.txt',
        './..x',
        './docs/inner.txt',
        './evil/payload',
        './out-link',
      ]),
    );
    expect(await guestRead('/restore/hostile/good.txt')).toBe(GOOD_TEXT);
    // Nothing reached the folder the symlinks point to, nor the guest's root.
    expect(await guest.exec('/bin/sh', ['-c', 'ls -a /outside 2>/dev/null; ls /'])).not.toMatch(
      /payload|good\.txt|NAME/,
    );
    const reasons = new Map(result.skipped.map((s) => [s.path, s.reason]));
    expect(reasons.get('/vda/SLASH/NAME')).toMatch(/contains "\/"/);
    expect(reasons.get('/vda/NUL\\u0000NAME')).toMatch(/NUL byte/);
    expect(reasons.get('/vda/fifo')).toMatch(/FIFOs/);
    expect(reasons.get('/vda/evil')).toMatch(/folder of that name is in the way/);
  });

  it('restores from the CLI with --to-guest --guest-dest and --json', async () => {
    const home = join(scratch, 'home');
    // The CLI runs its own engine on the same home: this one lets go of it first.
    await engine.close();
    const { stdout } = await promisify(execFile)(
      join(repoRoot, 'node_modules/.bin/node'),
      [
        '--import',
        'tsx',
        join(repoRoot, 'test/integration/restore/cli-entry.ts'),
        '--home',
        home,
        '--json',
        'restore',
        'files',
        '--vm',
        'lab-web-01',
        '--point',
        pointId,
        '--to-guest',
        '--guest-vm',
        AGENT_VM,
        '--guest-dest',
        '/restore/cli',
        '--strip',
        '3',
        '/vda1/home/alice/docs/report.txt',
      ],
      { cwd: repoRoot, timeout: 60_000 },
    ).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`the CLI failed: ${err.stdout ?? ''} ${err.stderr ?? ''}`);
    });
    const job = JSON.parse(stdout) as Job;
    expect(job.status).toBe('succeeded');
    expect(await guestRead('/restore/cli/docs/report.txt')).toBe(WEB_REPORT);
    engine = Engine.open({ home, mode: 'cli' });
  });
});

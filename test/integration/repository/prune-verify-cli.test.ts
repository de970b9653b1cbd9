/**
 * `hyperkeep prune` and `verify` as an administrator runs them, on a home with one subclient
 * (lab-set / web, keep the last point) and a repository that also holds points of lab-archive-01,
 * which no subclient here covers (as after attaching a repository to a new console). Prune keeps
 * every point of that VM and says so; the points it removes are listed with VM, time and reason.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Job, PruneJobResult } from '../../../shared/domain/jobs';
import { cliFromSource } from '../../harness/cli-process';
import { pointIdsIn, writeRandomPoints } from './helpers';

const lab = inject('lab');
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;
const web = lab.vms.find((v) => v.name === 'lab-web-01')!;
const archive = lab.vms.find((v) => v.name === 'lab-archive-01')!;
/** More than the built-in default keeps (last 7; the rest are one day, week, month, year). */
const ARCHIVE_POINTS = 8;

let scratch: string;
let home: string;
const { cli, cliOk } = cliFromSource(() => home);
let repoDir: string;
const webPoints: string[] = [];
const archivePoints: string[] = [];

async function cliJob(args: string[]): Promise<Job> {
  return JSON.parse(await cliOk(['--json', ...args])) as Job;
}

async function packBytesOnDisk(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  return total;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hk-prune-cli-'));
  home = join(scratch, 'home');
  repoDir = join(scratch, 'repository');
  await cliOk(['hypervisor', 'add', '--name', host1.name, '--uri', host1.uri]);
  await cliOk(['repo', 'init', '--path', repoDir, '--no-encrypt']);
  // Without the automatic add, lab-set's default subclient does not take lab-archive-01 in.
  await cliOk([
    'backupset',
    'create',
    'lab-set',
    '--hypervisor',
    host1.name,
    '--no-auto-add-unmatched',
  ]);
  await cliOk([
    'subclient',
    'create',
    'web',
    '--backupset',
    'lab-set',
    '--rule',
    'name~^lab-web',
    ...['--keep-last', '1', '--keep-daily', '0', '--keep-weekly', '0'],
    ...['--keep-monthly', '0', '--keep-yearly', '0'],
  ]);
  await cliOk(['discover', '--backupset', 'lab-set']);
  webPoints.push(...(await writeRandomPoints(repoDir, scratch, web, 2)).map((p) => p.id));
  archivePoints.push(
    ...(await writeRandomPoints(repoDir, scratch, archive, ARCHIVE_POINTS)).map((p) => p.id),
  );
}, 120_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('prune and verify from the CLI', () => {
  it('a dry run lists what would go, and keeps every point of a VM no subclient covers', async () => {
    const job = await cliJob(['prune', '--dry-run']);
    const result = job.result as PruneJobResult;
    expect(result.dryRun).toBe(true);
    expect(result.wouldRemove).toEqual([
      {
        id: webPoints[0],
        vmUuid: web.uuid,
        vmName: 'lab-web-01',
        time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as unknown,
        reason: 'not kept by the retention of lab-set / web (last 1)',
      },
    ]);
    expect(result.kept.map((p) => p.id)).toEqual([webPoints[1]]);
    expect(result.skippedVms).toEqual([
      { vmUuid: archive.uuid, vmName: 'lab-archive-01', points: ARCHIVE_POINTS },
    ]);
    expect(job.warnings).toEqual([
      `lab-archive-01: no subclient on this console sets its retention; its ${ARCHIVE_POINTS} points are kept`,
    ]);

    const text = await cliOk(['prune', '--dry-run']);
    expect(text).toContain(`Would remove 1 restore point, keep ${ARCHIVE_POINTS + 1}.`);
    // Per VM, newest first: what goes, what stays and why.
    expect(text).toContain('\nlab-web-01:\n  keep ');
    expect(text).toMatch(
      new RegExp(`\\n  would remove +\\S+  ${webPoints[0]}  not kept by the retention`),
    );
    expect(text).toContain('no subclient on this console sets its retention');
    expect((await pointIdsIn(repoDir)).length).toBe(ARCHIVE_POINTS + 2);
  });

  it('prune removes only what the retention does not keep, and says what it removed', async () => {
    const text = await cliOk(['prune']);
    // Every point of lab-archive-01 is still there: its retention is not known on this console.
    expect(await pointIdsIn(repoDir)).toEqual([...archivePoints, webPoints[1]!].sort());
    expect(text).toContain(`Removed 1 restore point, kept ${ARCHIVE_POINTS + 1}, freed `);
    expect(text).toContain(webPoints[0]);
  });

  it('verify --read-data counts the bytes of the packs it read, not the packs', async () => {
    const job = await cliJob(['verify', '--read-data']);
    const packBytes = await packBytesOnDisk(join(repoDir, 'packs'));
    expect(packBytes).toBeGreaterThan(ARCHIVE_POINTS * 256 * 1024);
    expect(job.tasks[0]).toMatchObject({ bytesDone: packBytes, bytesTotal: packBytes });
    expect(job.tasks[0]?.message).toMatch(/^\d+ points, \d+ packs, \d+ chunks re-hashed$/);
  });

  it('verify or prune of an unknown repository answers NOT_FOUND and leaves no job behind', async () => {
    const before = (await cliJob(['jobs'])) as unknown as Job[];
    for (const command of ['verify', 'prune']) {
      const result = await cli(['--json', command, '--repository', 'nosuch']);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toEqual({
        error: expect.objectContaining({
          code: 'NOT_FOUND',
          message: 'No repository named "nosuch".',
        }) as unknown,
      });
    }
    const after = (await cliJob(['jobs'])) as unknown as Job[];
    expect(after.map((j) => j.id)).toEqual(before.map((j) => j.id));
  });

  it('jobs --kind, --since, --until and --limit narrow the history, as a report script asks', async () => {
    const all = (await cliJob(['jobs'])) as unknown as Job[];
    const verifies = (await cliJob(['jobs', '--kind', 'verify'])) as unknown as Job[];
    expect(verifies.length).toBeGreaterThan(0);
    expect(verifies.every((j) => j.kind === 'verify')).toBe(true);
    expect(verifies.length).toBeLessThan(all.length);
    const newest = all[0]!;
    const oldest = all[all.length - 1]!;
    // A bound written in another offset is the same instant: the newest job's time, UTC+1.
    const plusOne = new Date(Date.parse(newest.createdAt) + 3600_000)
      .toISOString()
      .replace('Z', '+01:00');
    const since = (await cliJob(['jobs', '--since', plusOne])) as unknown as Job[];
    expect(since.map((j) => j.id)).toEqual([newest.id]);
    const until = (await cliJob(['jobs', '--until', oldest.createdAt])) as unknown as Job[];
    expect(until).toEqual([]);
    expect(((await cliJob(['jobs', '--limit', '1'])) as unknown as Job[]).map((j) => j.id)).toEqual(
      [newest.id],
    );
    const bad = await cli(['jobs', '--since', 'last week']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Give a date and time in ISO 8601');
  });
});

/**
 * The subclient's retention applied after each backup, without running prune by hand: a
 * subclient keeping the last point backs lab-archive-01 up again and again, and the older point
 * goes in a prune job the backup started (named in its result), while the VMs no subclient
 * covers keep every point. A protected point stays whatever the rules say (also for a console
 * the repository is attached to later), cannot be deleted, and a damaged protection stops prune.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type {
  BackupJobResult,
  Job,
  PruneJobResult,
  RestorePoint,
} from '../../../shared/domain/jobs';
import { cliFromSource } from '../../harness/cli-process';

const lab = inject('lab');
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;
const VM = 'lab-archive-01';

let scratch: string;
let home: string;
const { cli, cliJson } = cliFromSource(() => home);

const backup = () => cliJson<Job>(['backup', '--subclient', 'archive', '--wait']);
const pointsOf = async (vm: string) =>
  (await cliJson<RestorePoint[]>(['points', '--vm', vm])).map((p) => p.id);

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hk-retention-after-'));
  home = join(scratch, 'home');
  await cliJson(['hypervisor', 'add', '--name', host1.name, '--uri', host1.uri]);
  await cliJson(['repo', 'init', '--path', join(scratch, 'repository'), '--no-encrypt']);
  await cliJson([
    'backupset',
    'create',
    'lab-set',
    '--hypervisor',
    host1.name,
    '--no-auto-add-unmatched',
  ]);
  await cliJson([
    ...['subclient', 'create', 'archive', '--backupset', 'lab-set', '--rule', `name~^${VM}$`],
    ...['--keep-last', '1', '--keep-daily', '0', '--keep-weekly', '0'],
    ...['--keep-monthly', '0', '--keep-yearly', '0'],
  ]);
  await cliJson(['discover', '--backupset', 'lab-set']);
}, 120_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('retention after each backup', () => {
  it('starts no prune while the retention keeps every point', async () => {
    const first = await backup();
    expect(first.status).toBe('succeeded');
    expect((first.result as BackupJobResult).retentionJobs).toBeUndefined();
    expect(await pointsOf(VM)).toHaveLength(1);
  });

  it('removes the point the retention no longer keeps in a prune job of its own', async () => {
    const [older] = await pointsOf(VM);
    const second = await backup();
    expect(second.status).toBe('succeeded');
    const result = second.result as BackupJobResult;
    expect(result.retentionJobs).toHaveLength(1);
    const log = (await cliJson<{ log: string }>(['jobs', second.id])).log;
    expect(log).toContain('Retention: 1 older restore point(s) are no longer kept');

    const prune = await cliJson<Job>(['jobs', result.retentionJobs![0]!, '--wait']);
    expect(prune).toMatchObject({
      kind: 'prune',
      status: 'succeeded',
      title: 'Prune default after backup of lab-set / archive',
    });
    const outcome = prune.result as PruneJobResult;
    expect(outcome.removed?.map((p) => [p.id, p.vmName])).toEqual([[older, VM]]);
    expect(outcome.removed?.[0]?.reason).toBe(
      'not kept by the retention of lab-set / archive (last 1)',
    );
    expect(await pointsOf(VM)).toEqual([result.points[0]]);
  });

  it('the CLI waits for the retention and says what it removed', async () => {
    const [older] = await pointsOf(VM);
    const run = await cli(['backup', '--subclient', 'archive', '--wait']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\nRetention \(job \S+\):\nRemoved 1 restore point, kept 1, freed /);
    expect(run.stdout).toContain(
      `${older}  not kept by the retention of lab-set / archive (last 1)`,
    );
    expect(await pointsOf(VM)).toHaveLength(1);
  });

  it('without a serve, backup waits even without --wait: the job would end with the command', async () => {
    const before = await pointsOf(VM);
    const run = await cli(['backup', '--subclient', 'archive']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/runs in this command \(no hyperkeep serve runs for this home\)/);
    expect(run.stdout).toContain('Backup of lab-set / archive: succeeded');
    const after = await pointsOf(VM);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
  });

  it('leaves the points of a VM backed up outside the subclient alone', async () => {
    // lab-web-01 matches no subclient here (no automatic add): its backups have no retention.
    const web = 'lab-web-01';
    for (let i = 0; i < 2; i++) {
      const job = await cliJson<Job>(['backup', '--vm', web, '--wait']);
      expect(job.status).toBe('succeeded');
      expect((job.result as BackupJobResult).retentionJobs).toBeUndefined();
    }
    expect(await pointsOf(web)).toHaveLength(2);
  });

  it('keeps a protected point whatever the retention says, and refuses to delete it', async () => {
    const [held] = await pointsOf(VM);
    const text = await cli(['points', 'protect', held!, '--reason', 'before the upgrade']);
    expect(text.stdout).toContain('is protected: before the upgrade.');
    const listed = await cliJson<RestorePoint[]>(['points', '--vm', VM]);
    expect(listed[0]?.protection?.reason).toBe('before the upgrade');

    // The protected point takes no place in "keep the last 1": the new point is that one.
    const next = await backup();
    expect((next.result as BackupJobResult).retentionJobs).toBeUndefined();
    const third = await backup();
    const [prune] = (third.result as BackupJobResult).retentionJobs!;
    const outcome = (await cliJson<Job>(['jobs', prune!, '--wait'])).result as PruneJobResult;
    expect(outcome.removed?.map((p) => p.id)).toEqual([(next.result as BackupJobResult).points[0]]);
    expect(outcome.kept.find((p) => p.id === held)?.reason).toBe('protected (before the upgrade)');
    expect((await pointsOf(VM)).sort()).toEqual(
      [held, (third.result as BackupJobResult).points[0]].sort(),
    );

    const refused = await cli(['--json', 'points', 'delete', held!]);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error.message).toMatch(
      /is protected: lift the protection first/,
    );
  });

  it('a repository attached to a new console still knows what is protected', async () => {
    const [held] = (await cliJson<RestorePoint[]>(['points', '--vm', VM])).filter(
      (p) => p.protection,
    );
    const elsewhere = join(scratch, 'second-home');
    const first = home;
    home = elsewhere;
    try {
      await cliJson(['repo', 'attach', '--path', join(scratch, 'repository')]);
      const listed = await cliJson<RestorePoint[]>(['points', '--vm', VM]);
      expect(listed.find((p) => p.id === held!.id)?.protection?.reason).toBe('before the upgrade');
    } finally {
      home = first;
    }
  });

  it('once the protection is lifted, the retention removes the point at the next backup', async () => {
    const [held] = (await cliJson<RestorePoint[]>(['points', '--vm', VM])).filter(
      (p) => p.protection,
    );
    const text = await cli(['points', 'unprotect', held!.id]);
    expect(text.stdout).toContain('is no longer protected');
    const run = await cli(['backup', '--subclient', 'archive', '--wait']);
    expect(run.stdout).toMatch(/Removed 2 restore points, kept 1/);
    expect(await pointsOf(VM)).not.toContain(held!.id);
  });

  it('a damaged protection stops prune with a message naming the point, never reads as unprotected', async () => {
    const [point] = await pointsOf(VM);
    await cliJson(['points', 'protect', point!]);
    await writeFile(join(scratch, 'repository', 'holds', point!), 'not a sealed hold');
    const prune = await cli(['--json', 'prune']);
    expect(prune.code).toBe(1);
    expect(JSON.parse(prune.stdout).error.message).toContain(
      `The protection of restore point ${point} in the repository at`,
    );
    expect(await pointsOf(VM)).toEqual([point]);
  });
});

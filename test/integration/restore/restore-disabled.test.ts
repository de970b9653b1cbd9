/**
 * Activity control's "Enable restore" (patent 000 FIG. 15) obeyed: with it off on the subclient
 * of lab-archive-01, every kind of restore of the VM is refused through the CLI before any job
 * exists, with a message saying where to turn it back on; browsing its points still works; once
 * it is on again, the same restore runs.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Job } from '../../../shared/domain/jobs';
import { cliFromSource } from '../../harness/cli-process';

const lab = inject('lab');
const host1 = lab.hosts.find((h) => h.name === 'lab-host-1')!;
const VM = 'lab-archive-01';
const REFUSAL = `Restores are disabled for ${VM}: its subclient archive of backup set lab has 'Enable restore' off (Activity control). Turn it on there to restore.`;

let scratch: string;
let home: string;
const { cli, cliOk, cliJson } = cliFromSource(() => home);

const jobCount = async () => (await cliJson<Job[]>(['jobs'])).length;
const setRestores = (on: boolean) =>
  cliOk([
    'subclient',
    'edit',
    'archive',
    '--backupset',
    'lab',
    on ? '--restores' : '--no-restores',
  ]);

/** Every restore kind of the VM's latest point, as an administrator would type it. */
function restoreCommands(): [string, string[]][] {
  const vm = ['--vm', VM];
  return [
    ['files', ['restore', 'files', ...vm, '--dest', join(scratch, 'files'), '/vda1/srv/archive']],
    [
      'files into the guest',
      ['restore', 'files', ...vm, '--to-guest', '--guest-dest', '/srv/restore', '/vda1/srv'],
    ],
    ['volume', ['restore', 'volume', ...vm, '--volume', 'vda1', '--dest', join(scratch, 'v.raw')]],
    [
      'volume to device',
      ['restore', 'volume-to-device', ...vm, '--volume', 'vda1'].concat([
        '--device',
        '/dev/hk-none',
        '--confirm-device',
        '/dev/hk-none',
      ]),
    ],
    ['disk', ['restore', 'disk', ...vm, '--disk', 'vda', '--dest', join(scratch, 'vda.raw')]],
    [
      'disk to pool',
      ['restore', 'disk-to-pool', ...vm, '--disk', 'vda', '--to', host1.name].concat([
        '--pool',
        'default',
        '--volume',
        'hk-refused.qcow2',
      ]),
    ],
    ['whole VM', ['restore', 'vm', ...vm, '--to', host1.name, '--name', 'hk-refused-vm']],
  ];
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hk-restore-disabled-'));
  home = join(scratch, 'home');
  await cliJson(['hypervisor', 'add', '--name', host1.name, '--uri', host1.uri]);
  await cliJson(['repo', 'init', '--path', join(scratch, 'repository'), '--no-encrypt']);
  await cliJson(['backupset', 'create', 'lab', '--hypervisor', host1.name]);
  await cliJson(['subclient', 'create', 'archive', '--backupset', 'lab', '--rule', `name~^${VM}$`]);
  await cliJson(['discover', '--backupset', 'lab']);
  const backup = await cliJson<Job>(['backup', '--vm', VM, '--wait']);
  expect(backup.status).toBe('succeeded');
}, 180_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("a subclient with 'Enable restore' off", () => {
  it('refuses every kind of restore of its VM, before any job is created', async () => {
    await setRestores(false);
    const before = await jobCount();
    for (const [kind, args] of restoreCommands()) {
      const run = await cli(args);
      expect(run.code, `${kind}: ${run.stdout}${run.stderr}`).not.toBe(0);
      expect(`${run.stdout}${run.stderr}`, kind).toContain(REFUSAL);
    }
    expect(await jobCount()).toBe(before);
  });

  it('still lets its points be browsed and searched', async () => {
    const listing = await cliOk(['ls', '--vm', VM, '/vda1/srv/archive']);
    expect(listing).toContain('README');
    const found = await cliOk(['find', '--vm', VM, 'q1.csv']);
    expect(found).toContain('/vda1/srv/archive/2023/q1.csv');
  });

  it('restores again once it is turned back on', async () => {
    await setRestores(true);
    const dest = join(scratch, 'files');
    await cliOk([
      'restore',
      'files',
      '--vm',
      VM,
      '--dest',
      dest,
      '--strip',
      '3',
      '/vda1/srv/archive/README',
    ]);
    expect(await readFile(join(dest, 'README'), 'utf8')).toBe(
      'Closed ledgers, kept for ten years.\n',
    );
  });

  it("and with 'Enable backup' off, backing up just that VM is refused too", async () => {
    await cliOk(['subclient', 'edit', 'archive', '--backupset', 'lab', '--no-backups']);
    try {
      const before = await jobCount();
      const run = await cli(['backup', '--vm', VM, '--wait']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `Backups are disabled for ${VM}: its subclient archive of backup set lab has 'Enable backup' off (Activity control).`,
      );
      expect(await jobCount()).toBe(before);
    } finally {
      await cliOk(['subclient', 'edit', 'archive', '--backupset', 'lab', '--backups']);
    }
  });
});

import { Option, type Command } from 'commander';
import type { Job } from '../../../shared/domain/jobs';
import type { Run } from '../context';
import type { EngineClient } from '../engine-client';
import { formatBytes, printJson, printTable } from '../output';
import { reportJob, waitForJob } from './backup';

const WAIT_HELP = 'follow the job to its end and exit non-zero if it failed (the default)';
const NO_WAIT_HELP = 'print the job id and return (with a running `hyperkeep serve`)';

/** Follows the job unless --no-wait: a CLI without `serve` runs it in its own engine. */
async function follow(
  client: EngineClient,
  job: Job,
  wait: boolean | undefined,
  json: boolean,
): Promise<number | undefined> {
  if (wait === false) {
    if (json) printJson(job);
    else console.log(`Started job ${job.id}: ${job.title} (follow it with: hyperkeep jobs)`);
    return undefined;
  }
  const done = await waitForJob(client, job, json);
  const code = reportJob(done, json);
  const result = done.result as { vm?: string; uuid?: string; macs?: string[] } | undefined;
  if (!json && done.status === 'succeeded' && result?.uuid) {
    console.log(`  VM ${result.vm} has UUID ${result.uuid}; MACs: ${result.macs?.join(', ')}`);
  }
  return code;
}

interface VmOptions {
  vm: string;
  point: string;
  to: string;
  name?: string;
  pool?: string;
  inPlace?: boolean;
  yes?: boolean;
  diskFormat: 'qcow2' | 'raw';
  powerOn?: boolean;
  wait?: boolean;
}

/** `restore vm` and `restore disk-to-pool` under `restore`, and `pools` (FIG. 14A/B). */
export function registerVmRestoreCommands(program: Command, restore: Command, run: Run): void {
  restore
    .command('vm')
    .description('a whole VM onto a registered libvirt host: disks into a storage pool, defined')
    .requiredOption('--vm <name>', 'VM name or UUID')
    .requiredOption('--point <id>', 'restore point id (see: hyperkeep points --vm VM)')
    .requiredOption('--to <hypervisor>', 'destination hypervisor (name or id)')
    .option('--name <new>', 'name of the restored VM (required unless --in-place)')
    .option(
      '--pool <pool>',
      'storage pool for the disks (default: "default", else the first active)',
    )
    .option('--in-place', 'replace the original VM (same name, UUID and MACs); it must be off')
    .option('--yes', 'confirm --in-place')
    .addOption(
      new Option('--disk-format <format>', 'format of the restored volumes')
        .choices(['qcow2', 'raw'])
        .default('qcow2'),
    )
    .option('--power-on', 'start the VM once it is defined')
    .option('--wait', WAIT_HELP)
    .option('--no-wait', NO_WAIT_HELP)
    .action((o: VmOptions) =>
      run(async ({ client, json }) => {
        const job = await client.call('restore.vm', {
          vm: o.vm,
          pointId: o.point,
          hypervisorId: o.to,
          ...(o.name !== undefined ? { name: o.name } : {}),
          ...(o.pool !== undefined ? { pool: o.pool } : {}),
          inPlace: Boolean(o.inPlace),
          confirmInPlace: Boolean(o.yes),
          diskFormat: o.diskFormat,
          powerOn: Boolean(o.powerOn),
        });
        return follow(client, job, o.wait, json);
      }),
    );

  restore
    .command('disk-to-pool')
    .description('a virtual disk of a restore point as a new volume in a hypervisor storage pool')
    .requiredOption('--vm <name>', 'VM name or UUID')
    .requiredOption('--point <id>', 'restore point id')
    .requiredOption('--disk <target>', 'disk, e.g. vda')
    .requiredOption('--to <hypervisor>', 'destination hypervisor (name or id)')
    .requiredOption('--pool <pool>', 'storage pool')
    .requiredOption('--volume <name>', 'name of the new volume, e.g. web-vda.qcow2')
    .addOption(
      new Option('--format <format>', 'volume format').choices(['qcow2', 'raw']).default('qcow2'),
    )
    .option('--wait', WAIT_HELP)
    .option('--no-wait', NO_WAIT_HELP)
    .action(
      (o: {
        vm: string;
        point: string;
        disk: string;
        to: string;
        pool: string;
        volume: string;
        format: 'qcow2' | 'raw';
        wait?: boolean;
      }) =>
        run(async ({ client, json }) => {
          const job = await client.call('restore.diskToPool', {
            vm: o.vm,
            pointId: o.point,
            disk: o.disk,
            hypervisorId: o.to,
            pool: o.pool,
            volumeName: o.volume,
            format: o.format,
          });
          return follow(client, job, o.wait, json);
        }),
    );

  program
    .command('pools')
    .description('storage pools of a registered hypervisor (restore destinations)')
    .requiredOption('--hypervisor <name>', 'hypervisor name or id')
    .action((o: { hypervisor: string }) =>
      run(async ({ client, json }) => {
        const pools = await client.call('hypervisor.pools', { hypervisorId: o.hypervisor });
        if (json) return printJson(pools);
        if (pools.length === 0) return console.log(`${o.hypervisor} has no storage pools.`);
        printTable(
          ['NAME', 'TYPE', 'STATE', 'CAPACITY', 'FREE', 'PATH'],
          pools.map((p) => [
            p.name,
            p.type,
            p.active ? 'active' : 'inactive',
            formatBytes(p.capacityBytes),
            formatBytes(p.availableBytes),
            p.path ?? '',
          ]),
        );
      }),
    );
}

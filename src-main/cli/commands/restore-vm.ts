import { Option, type Command } from 'commander';
import type { Run } from '../context';
import { formatBytes, printJson, printTable } from '../output';
import { choosePoint, followRestoreJob, restoreSubcommand } from './restore-job';

interface VmOptions {
  vm: string;
  point?: string;
  at?: string;
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
  restoreSubcommand(
    restore,
    'vm',
    'a whole VM onto a registered libvirt host: disks into a storage pool, defined',
  )
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
    .action((o: VmOptions) =>
      run(async ({ client, json }) => {
        const job = await client.call('restore.vm', {
          vm: o.vm,
          pointId: await choosePoint(client, o, json),
          hypervisorId: o.to,
          ...(o.name !== undefined ? { name: o.name } : {}),
          ...(o.pool !== undefined ? { pool: o.pool } : {}),
          inPlace: Boolean(o.inPlace),
          confirmInPlace: Boolean(o.yes),
          diskFormat: o.diskFormat,
          powerOn: Boolean(o.powerOn),
        });
        return followRestoreJob(client, job, o.wait, json);
      }),
    );

  restoreSubcommand(
    restore,
    'test',
    'recovery test: restore the point as an isolated copy (no network cards), boot it, check it comes up, remove it',
  )
    .requiredOption('--to <hypervisor>', 'libvirt host to boot the copy on (name or id)')
    .option(
      '--pool <pool>',
      'storage pool for the copy\'s disks (default: "default", else the first active)',
    )
    .option(
      '--boot-seconds <n>',
      'how long the copy may take to come up (default 180)',
      (v: string) => Number.parseInt(v, 10),
    )
    .action(
      (o: {
        vm: string;
        point?: string;
        at?: string;
        to: string;
        pool?: string;
        bootSeconds?: number;
        wait?: boolean;
      }) =>
        run(async ({ client, json }) => {
          const job = await client.call('restore.test', {
            vm: o.vm,
            pointId: await choosePoint(client, o, json),
            hypervisorId: o.to,
            ...(o.pool !== undefined ? { pool: o.pool } : {}),
            ...(o.bootSeconds !== undefined ? { bootSeconds: o.bootSeconds } : {}),
          });
          return followRestoreJob(client, job, o.wait, json);
        }),
    );

  restoreSubcommand(
    restore,
    'disk-to-pool',
    'a virtual disk of a restore point as a new volume in a hypervisor storage pool',
  )
    .requiredOption('--disk <target>', 'disk, e.g. vda')
    .requiredOption('--to <hypervisor>', 'destination hypervisor (name or id)')
    .requiredOption('--pool <pool>', 'storage pool')
    .requiredOption('--volume <name>', 'name of the new volume, e.g. web-vda.qcow2')
    .addOption(
      new Option('--format <format>', 'volume format').choices(['qcow2', 'raw']).default('qcow2'),
    )
    .action(
      (o: {
        vm: string;
        point?: string;
        at?: string;
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
            pointId: await choosePoint(client, o, json),
            disk: o.disk,
            hypervisorId: o.to,
            pool: o.pool,
            volumeName: o.volume,
            format: o.format,
          });
          return followRestoreJob(client, job, o.wait, json);
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

import type { Command } from 'commander';
import type { DiscoveryResult } from '../../../shared/domain/backup-set';
import type { Run } from '../context';
import { printJson, printTable } from '../output';
import { EXIT } from '../usage';
import { findHypervisor } from './hypervisor';
import { findBackupSet, findSubclient, findVms } from './lookup';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function printAssignments(result: DiscoveryResult): void {
  printTable(
    ['HOST', 'VM', 'SUBCLIENT', 'STATUS', 'REASON'],
    result.assignments.map((a) => [
      a.hypervisorName,
      a.vmName,
      a.subclientName ?? '(unprotected)',
      a.status,
      a.reason,
    ]),
  );
  for (const e of result.errors) console.error(`warning: ${e.hypervisorName}: ${e.message}`);
  for (const w of result.warnings) console.error(`warning: ${w}`);
}

/** `discover --json` explains every placement: one entry per VM. */
function discoveryJson(result: DiscoveryResult) {
  return {
    backupSetId: result.backupSetId,
    discoveredAt: result.discoveredAt,
    vms: result.assignments.map((a) => ({
      vm: a.vmName,
      uuid: a.vmUuid,
      host: a.hypervisorName,
      hostname: a.host,
      subclient: a.subclientName,
      reason: a.reason,
      status: a.status,
      manual: a.manual,
    })),
    errors: result.errors,
    warnings: result.warnings,
  };
}

export function registerBackupSetCommands(program: Command, run: Run): void {
  const backupset = program
    .command('backupset')
    .description('backup sets: which hypervisors, which subclients');

  backupset
    .command('create <name>')
    // No --proxy: this engine is the only one that reads the disks, so the set's proxy is
    // always "local" (BackupSetInput's default), as the console's read-only Proxy field shows.
    .description(
      'create a backup set (with its default subclient); this engine reads the disks itself',
    )
    .requiredOption(
      '--hypervisor <name>',
      'a target hypervisor (repeat for several hosts)',
      collect,
    )
    .option('--auto-add-unmatched', 'put VMs no rule claims into the default subclient (default)')
    .option('--no-auto-add-unmatched', 'list VMs no rule claims as unprotected instead')
    .option('--no-auto-discovery', 'ignore the rules: only manually assigned VMs')
    .action(
      (
        name: string,
        opts: {
          hypervisor: string[];
          autoAddUnmatched?: boolean;
          autoDiscovery: boolean;
        },
      ) =>
        run(async ({ client, json }) => {
          const hypervisorIds = await Promise.all(
            opts.hypervisor.map(async (h) => (await findHypervisor(client, h)).id),
          );
          const created = await client.call('backupSet.create', {
            name,
            hypervisorIds,
            autoDiscovery: opts.autoDiscovery,
            autoAddUnmatched: opts.autoAddUnmatched ?? true,
          });
          if (json) printJson(created);
          else console.log(`Created backup set "${created.name}" with subclient "default".`);
        }),
    );

  backupset
    .command('list')
    .description('list backup sets')
    .action(() =>
      run(async ({ client, json }) => {
        const sets = await client.call('backupSet.list', {});
        if (json) return printJson(sets);
        const hypervisors = new Map(
          (await client.call('hypervisor.list', {})).map((h) => [h.id, h.name]),
        );
        printTable(
          ['NAME', 'HYPERVISORS', 'SUBCLIENTS', 'AUTO-DISCOVERY', 'AUTO-ADD'],
          sets.map((s) => [
            s.name,
            s.hypervisorIds.map((id) => hypervisors.get(id) ?? id).join(','),
            s.subclients.map((c) => c.name).join(','),
            String(s.autoDiscovery),
            String(s.autoAddUnmatched),
          ]),
        );
      }),
    );

  backupset
    .command('show <name>')
    .description('a backup set with its subclients and VM assignments')
    .action((name: string) =>
      run(async ({ client, json }) => {
        const set = await findBackupSet(client, name);
        const assignments = await client.call('discovery.assignments', { backupSetId: set.id });
        if (json) return printJson({ ...set, assignments: assignments.assignments });
        console.log(
          `Backup set ${set.name}: auto discovery ${set.autoDiscovery ? 'on' : 'off'}, automatically add unmatched VMs ${set.autoAddUnmatched ? 'on' : 'off'}`,
        );
        printTable(
          ['#', 'SUBCLIENT', 'MATCH', 'RULES', 'LEVEL', 'READERS'],
          set.subclients.map((s) => [
            s.isDefault ? '-' : s.position + 1,
            s.name,
            s.content.match,
            String(s.content.rules.length),
            s.settings.copyLevel,
            s.settings.dataReaders,
          ]),
        );
        console.log('');
        printAssignments(assignments);
      }),
    );

  backupset
    .command('delete <name>')
    .description('delete a backup set (its VMs are not touched)')
    .action((name: string) =>
      run(async ({ client, json }) => {
        const set = await findBackupSet(client, name);
        await client.call('backupSet.delete', { id: set.id });
        if (json) printJson({ deleted: set.name, id: set.id });
        else console.log(`Deleted backup set "${set.name}".`);
      }),
    );

  program
    .command('discover')
    .description(
      "ask the backup set's hypervisors for their VMs now and place each VM in a subclient",
    )
    .requiredOption('--backupset <name>', 'backup set')
    .action((opts: { backupset: string }) =>
      run(async ({ client, json }) => {
        const set = await findBackupSet(client, opts.backupset);
        const result = await client.call('discovery.run', { backupSetId: set.id });
        if (json) printJson(discoveryJson(result));
        else printAssignments(result);
        return result.errors.length > 0 ? EXIT.partial : EXIT.ok;
      }),
    );

  program
    .command('assign')
    .description(
      'assign VMs to a subclient by hand (survives rediscovery); --subclient rules hands them back to the rules',
    )
    .requiredOption('--backupset <name>', 'backup set')
    .requiredOption('--vm <name>', 'VM name or UUID (repeat for several)', collect)
    .requiredOption('--subclient <name>', 'target subclient, or "rules"')
    .action((opts: { backupset: string; vm: string[]; subclient: string }) =>
      run(async ({ client, json }) => {
        const set = await findBackupSet(client, opts.backupset);
        const subclientId =
          opts.subclient === 'rules'
            ? null
            : (await findSubclient(client, set.id, opts.subclient)).subclient.id;
        const vms = await findVms(client, set, opts.vm);
        const result = await client.call('discovery.assign', {
          backupSetId: set.id,
          vmUuids: vms.map((v) => v.vmUuid),
          subclientId,
        });
        if (json) printJson(discoveryJson(result));
        else
          console.log(
            `${vms.map((v) => v.vmName).join(', ')} → ${opts.subclient === 'rules' ? 'the rules' : `subclient ${opts.subclient}`}`,
          );
      }),
    );
}

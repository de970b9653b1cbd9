import type { Command } from 'commander';
import type { Run } from '../context';
import { formatBytes, printJson, printTable } from '../output';
import { EXIT } from '../usage';
import { findHypervisor } from './hypervisor';

export function registerVmCommands(program: Command, run: Run): void {
  const vm = program.command('vm').description('virtual machines of the registered hypervisors');

  vm.command('list')
    .description('list VMs, live from the hypervisors')
    .option('--hypervisor <name>', 'only the VMs of this hypervisor')
    .action((opts: { hypervisor?: string }) =>
      run(async ({ client, json }) => {
        const hypervisorId = opts.hypervisor
          ? (await findHypervisor(client, opts.hypervisor)).id
          : undefined;
        const result = await client.call('vm.list', hypervisorId ? { hypervisorId } : {});
        if (json) printJson(result);
        else {
          printTable(
            ['NAME', 'HYPERVISOR', 'STATE', 'VCPU', 'MEMORY', 'DISKS', 'PROVISIONED'],
            result.vms.map((v) => [
              v.name,
              v.hypervisorName,
              v.powerState,
              v.vcpus,
              formatBytes(v.memoryBytes),
              v.disks.map((d) => d.target).join(',') || '-',
              formatBytes(v.provisionedBytes),
            ]),
          );
          for (const e of result.errors)
            console.error(`warning: ${e.hypervisorName}: ${e.error.message}`);
        }
        // A partial list is still a failure for scripts: say so in the exit code.
        return result.errors.length > 0 ? EXIT.partial : EXIT.ok;
      }),
    );
}

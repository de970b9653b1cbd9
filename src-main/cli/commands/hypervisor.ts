import type { Command } from 'commander';
import { HyperkeepError } from '../../../shared/errors';
import type { EngineClient } from '../engine-client';
import type { Run } from '../context';
import { printJson, printTable } from '../output';
import { readPasswordFile } from '../password-file';
import { usageError } from '../usage';

/** Unattended secrets come from a file or the environment, never only from a prompt. */
function readPassword(passwordFile: string | undefined): string | undefined {
  if (passwordFile) return readPasswordFile(passwordFile);
  return process.env.HYPERKEEP_HYPERVISOR_PASSWORD || undefined;
}

export async function findHypervisor(client: EngineClient, name: string) {
  const list = await client.call('hypervisor.list', {});
  const found = list.find((h) => h.id === name || h.name.toLowerCase() === name.toLowerCase());
  if (!found)
    throw new HyperkeepError(
      'NOT_FOUND',
      `No hypervisor named "${name}" is registered (see: hyperkeep hypervisor list).`,
    );
  return found;
}

interface AddOptions {
  name: string;
  type: string;
  uri: string;
  username?: string;
  passwordFile?: string;
  certificateFingerprint?: string;
  test: boolean;
}

function parseType(type: string): 'libvirt' | 'vsphere' {
  if (type === 'libvirt' || type === 'vsphere') return type;
  throw usageError(`--type must be libvirt or vsphere, not "${type}".`);
}

export function registerHypervisorCommands(program: Command, run: Run): void {
  const hypervisor = program
    .command('hypervisor')
    .description('register and manage hypervisors (KVM/libvirt hosts, vCenter and ESX)');

  hypervisor
    .command('add')
    .description('register a hypervisor (tests the connection first)')
    .requiredOption('--name <name>', 'a name of your choice, e.g. kvm-01')
    .option('--type <type>', 'hypervisor type: libvirt or vsphere (vCenter / ESX)', 'libvirt')
    .requiredOption(
      '--uri <uri>',
      'qemu:///system, qemu+unix:///session?socket=PATH, qemu+tcp://HOST/system, https://VCENTER/sdk',
    )
    .option(
      '--certificate-fingerprint <sha256>',
      'vSphere: the SHA-256 fingerprint of the server certificate you accept (shown when missing)',
    )
    .option('--username <user>', 'user name, when the hypervisor asks for one')
    .option(
      '--password-file <file>',
      'read the password from this file (or set HYPERKEEP_HYPERVISOR_PASSWORD)',
    )
    .option('--no-test', 'register without testing the connection')
    .action((opts: AddOptions) =>
      run(async ({ client, json }) => {
        const password = readPassword(opts.passwordFile);
        const input = {
          name: opts.name,
          type: parseType(opts.type),
          uri: opts.uri,
          ...(opts.certificateFingerprint
            ? { certificateFingerprint: opts.certificateFingerprint }
            : {}),
          ...(opts.username ? { username: opts.username } : {}),
          ...(password ? { password } : {}),
        };
        if (opts.test) {
          const test = await client.call('hypervisor.test', input);
          if (!test.ok && test.certificate && !opts.certificateFingerprint) {
            // As ssh does for an unknown host key: show what the server presented, pin nothing.
            const { fingerprint, subject, validTo } = test.certificate;
            throw new HyperkeepError(
              'CONNECT_FAILED',
              `${opts.uri} presented a certificate not accepted yet:\n  subject ${subject}, valid until ${validTo}\n` +
                `  SHA-256 ${fingerprint}\nCheck it with the server's administrator, then run the command again with ` +
                `--certificate-fingerprint ${fingerprint}. (Nothing was registered.)`,
              { field: 'certificateFingerprint' },
            );
          }
          if (!test.ok) {
            throw new HyperkeepError(
              'CONNECT_FAILED',
              `${test.error?.message ?? 'Connection failed.'} (Nothing was registered; --no-test registers it anyway.)`,
              {
                cause: test.error?.code,
              },
            );
          }
        }
        const added = await client.call('hypervisor.add', input);
        if (json) printJson(added);
        else console.log(`Registered hypervisor "${added.name}" (${added.uri}).`);
      }),
    );

  hypervisor
    .command('list')
    .description('list registered hypervisors')
    .action(() =>
      run(async ({ client, json }) => {
        const list = await client.call('hypervisor.list', {});
        if (json) return printJson(list);
        if (list.length === 0)
          return console.log(
            'No hypervisors registered. Add one: hyperkeep hypervisor add --name NAME --uri URI',
          );
        printTable(
          ['NAME', 'TYPE', 'URI', 'HOSTNAME'],
          list.map((h) => [h.name, h.type, h.uri, h.hostname ?? '']),
        );
      }),
    );

  hypervisor
    .command('remove <name>')
    .description('unregister a hypervisor (its VMs are not touched)')
    .action((name: string) =>
      run(async ({ client, json }) => {
        const target = await findHypervisor(client, name);
        await client.call('hypervisor.remove', { id: target.id });
        if (json) printJson({ removed: target.name, id: target.id });
        else console.log(`Removed hypervisor "${target.name}".`);
      }),
    );

  hypervisor
    .command('test <name>')
    .description('connect to a registered hypervisor and report what it says')
    .action((name: string) =>
      run(async ({ client, json }) => {
        const target = await findHypervisor(client, name);
        const result = await client.call('hypervisor.test', { id: target.id });
        if (json) printJson(result);
        else if (result.ok && result.host)
          console.log(
            `OK: ${result.host.hostname}, ${result.host.hypervisorVersion}, ${result.vmCount} VMs, ${result.latencyMs} ms`,
          );
        else console.error(`hyperkeep: ${result.error?.message ?? 'Connection failed.'}`);
        return result.ok ? 0 : 1;
      }),
    );
}

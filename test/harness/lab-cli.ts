/**
 * `npx tsx test/harness/lab-cli.ts start|stop|status [--json]`: the lab for people (`make lab`,
 * `make lab-stop`). The lab keeps running after `start` returns.
 */
import { HyperkeepError } from '../../shared/errors';
import { labStatus, startLab, stopLab, type LabStatus } from './lab';
import type { LabInfo } from './lab-info';

const MiB = 1024 * 1024;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function describeLab(info: LabInfo, states?: LabStatus['vms']): string {
  const hosts = table([
    ['HOST', 'URI', 'TCP URI'],
    ...info.hosts.map((h) => [h.name, h.uri, h.tcpUri ?? '-']),
  ]);
  const vms = table([
    ['VM', 'HOST', 'STATE', 'MEMORY', 'DISKS'],
    ...info.vms.map((vm) => [
      vm.name,
      vm.host,
      states?.find((s) => s.name === vm.name)?.state ?? (vm.running ? 'running' : 'shut off'),
      `${vm.memoryBytes / MiB} MiB`,
      vm.disks
        .map(
          (d) =>
            `${d.target} ${d.capacityBytes / MiB} MiB ${d.partitionTable}:${d.filesystems.join('+')}`,
        )
        .join(', '),
    ]),
  ]);
  const how = `accelerator ${info.accel ?? '?'}, processes run as ${info.user ?? '?'}`;
  return `Lab in ${info.dir} (${how})\n\n${hosts}\n\n${vms}\n`;
}

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  const json = argv.includes('--json');
  if (command === 'start') {
    const began = Date.now();
    const info = await startLab();
    if (json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
    else
      process.stdout.write(
        `${describeLab(info)}\nReady in ${((Date.now() - began) / 1000).toFixed(1)} s\n`,
      );
    return 0;
  }
  if (command === 'stop') {
    await stopLab();
    if (!json) process.stdout.write('Lab stopped.\n');
    return 0;
  }
  if (command === 'status') {
    const status = await labStatus();
    if (json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    else if (status.info)
      process.stdout.write(`Lab is ${status.state}.\n${describeLab(status.info, status.vms)}`);
    else process.stdout.write(`Lab is ${status.state} (${status.dir}).\n`);
    return status.state === 'running' ? 0 : 3;
  }
  process.stderr.write('Usage: lab-cli.ts start|stop|status [--json]\n');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const message = e instanceof HyperkeepError || e instanceof Error ? e.message : String(e);
    process.stderr.write(`lab: ${message}\n`);
    process.exit(1);
  },
);

/**
 * A pull-mode backup job outlives the process that began it: after `kill -9` or a crash of
 * Hyperkeep, libvirt keeps the job (NBD export, scratch files) and refuses to begin another one
 * on the VM. Before beginning, a job that a dead Hyperkeep process on this machine left behind
 * is ended and its folder removed; any other job (a live Hyperkeep, another tool) is reported.
 */
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HyperkeepError } from '../../../shared/errors';
import {
  DOMAIN_ABORT_JOB,
  DOMAIN_BACKUP_GET_XML_DESC,
} from '../connectors/libvirt/backup-procedures';
import { invoke } from '../connectors/libvirt/procedures';
import { parseRunningBackup } from './backup-xml';
import { jobDirOwner } from './job-dir';
import type { VmBackupContext } from './vm-context';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function endStaleBackupJob(ctx: VmBackupContext): Promise<void> {
  const rpc = ctx.request.connector.rpc;
  let xml: string;
  try {
    xml = await invoke(rpc, DOMAIN_BACKUP_GET_XML_DESC, { dom: ctx.dom });
  } catch {
    return; // no backup job on the VM: the usual case
  }
  const server = parseRunningBackup(xml).server;
  const socket = server.transport === 'unix' ? server.socket : null;
  const local = ctx.request.connector.target.transport === 'unix';
  const owner = socket && local ? jobDirOwner(socket) : null;
  if (owner === null || processAlive(owner)) {
    const who = owner !== null ? `Hyperkeep process ${owner}` : 'another process or tool';
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      `VM ${ctx.pointVm.name} already runs a backup job, begun by ${who}: wait for it to end, or end it with virsh domjobabort ${ctx.pointVm.name}`,
    );
  }
  await invoke(rpc, DOMAIN_ABORT_JOB, { dom: ctx.dom });
  await rm(dirname(socket!), { recursive: true, force: true });
  ctx.warn(
    `Ended the backup job that Hyperkeep process ${owner} left on the VM when it stopped unexpectedly`,
  );
}

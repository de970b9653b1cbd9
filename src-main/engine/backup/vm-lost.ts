import { HyperkeepError, toErrorData } from '../../../shared/errors';
import { DOMAIN_GET_STATE, DomainState, invoke } from '../connectors/libvirt/procedures';
import type { VmBackupContext } from './vm-context';

/** States in which a VM's disks stay exported: anything else ended the backup job with it. */
const STILL_THERE = new Set<number>([
  DomainState.RUNNING,
  DomainState.BLOCKED,
  DomainState.PAUSED,
  DomainState.PMSUSPENDED,
]);

const AFTERWARDS =
  'No restore point was made. Back it up again once it runs, or while it is off (a powered-off VM is backed up from its volumes).';

/**
 * The error a failed live backup reports. When the VM stopped (shut down, crashed, destroyed) or
 * its host went away mid-job, the first call to notice was an NBD read or a libvirt call, whose
 * own words ("NBD server at /tmp/…/nbd.sock closed the connection during READ") tell a person
 * nothing: say what happened to the VM instead, with the original words after it.
 */
export async function explainLostVm(ctx: VmBackupContext, err: unknown): Promise<unknown> {
  if (ctx.request.signal.aborted) return err;
  const name = ctx.pointVm.name;
  const detail = toErrorData(err).message;
  let state: number;
  try {
    ({ state } = await invoke(ctx.request.connector.rpc, DOMAIN_GET_STATE, { dom: ctx.dom }));
  } catch (stateErr) {
    const why = toErrorData(stateErr).message;
    const removed = /not found|no domain/i.test(why);
    return new HyperkeepError(
      'HYPERVISOR_ERROR',
      removed
        ? `VM ${name} was removed from its host during the backup (${detail}). ${AFTERWARDS}`
        : `The connection to the host of VM ${name} was lost during the backup (${why}; first noticed as: ${detail}). ${AFTERWARDS}`,
    );
  }
  if (STILL_THERE.has(state)) return err;
  const what =
    state === DomainState.CRASHED
      ? 'crashed'
      : state === DomainState.SHUTDOWN
        ? 'was shutting down'
        : 'was shut down or powered off';
  return new HyperkeepError(
    'HYPERVISOR_ERROR',
    `VM ${name} ${what} during the backup, so its disks could not be read to the end (${detail}). ${AFTERWARDS}`,
  );
}

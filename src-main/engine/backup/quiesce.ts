import { HyperkeepError } from '../../../shared/errors';
import { DOMAIN_FSFREEZE, DOMAIN_FSTHAW } from '../connectors/libvirt/backup-procedures';
import { invoke, type DomainRef, type RpcCaller } from '../connectors/libvirt/procedures';

/** The guest agent gets this long to freeze; a hung agent must not hold the backup. */
const FREEZE_TIMEOUT_MS = 60_000;
const THAW_TIMEOUT_MS = 60_000;

export interface FreezeOutcome {
  frozen: boolean;
  /** A freeze that timed out may still happen inside the guest: thaw to be sure. */
  mustThaw: boolean;
}

/**
 * Quiesces the guest's file systems through the QEMU guest agent (which also runs the guest's
 * fsfreeze hooks, where databases flush). Without an agent the backup is crash-consistent, as if
 * the power had been cut at that instant: said in the log, not an error.
 */
export async function freezeGuest(
  rpc: RpcCaller,
  dom: DomainRef,
  log: (line: string) => void,
): Promise<FreezeOutcome> {
  try {
    const count = await invoke(rpc, DOMAIN_FSFREEZE, { dom }, { timeoutMs: FREEZE_TIMEOUT_MS });
    log(`Froze ${count} file system(s) through the QEMU guest agent`);
    return { frozen: true, mustThaw: true };
  } catch (err) {
    if (!(err instanceof HyperkeepError) || err.code === 'CONNECT_FAILED') throw err;
    log(`No application-consistent quiescing (${err.message}): the backup is crash-consistent`);
    return { frozen: false, mustThaw: err.code === 'TIMEOUT' };
  }
}

/** Thaws the guest; a failure is returned as a warning (the guest may stay frozen: say so). */
export async function thawGuest(
  rpc: RpcCaller,
  dom: DomainRef,
  log: (line: string) => void,
): Promise<string | undefined> {
  try {
    const count = await invoke(rpc, DOMAIN_FSTHAW, { dom }, { timeoutMs: THAW_TIMEOUT_MS });
    log(`Thawed ${count} file system(s)`);
    return undefined;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return `Could not thaw the guest's file systems (${message}); check the VM, it may still be frozen`;
  }
}

/**
 * A recovery test: does this restore point come up as a VM? The point is restored as a new VM
 * beside the original (runRestore, with its network cards left out so the copy cannot collide
 * with it), powered on and watched: a guest with a QEMU guest agent channel passes when its agent
 * answers, one without passes when it keeps running for the whole wait. The copy and its disks
 * are removed whatever happened, and the job fails with the reason when the copy did not come up.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SubclientSettings } from '../../../../shared/domain/backup-set';
import type { Hypervisor } from '../../../../shared/domain/hypervisor';
import type { Job } from '../../../../shared/domain/jobs';
import type { RecoveryTestRequest } from '../../../../shared/domain/restore';
import { HyperkeepError, toErrorData } from '../../../../shared/errors';
import { GuestAgent } from '../../connectors/libvirt/guest-agent';
import {
  DOMAIN_GET_STATE,
  DomainState,
  invoke,
  type DomainRef,
} from '../../connectors/libvirt/procedures';
import { POWER_STATES, type LibvirtConnector } from '../../connectors/libvirt/libvirt-connector';
import type { Engine } from '../../engine';
import type { JobContext } from '../../jobs/job-controller';
import { findRestorePoint } from '../point-lookup';
import { UndoLog } from './restore-context';
import { planRestore, runRestore } from './restore-vm-job';

const POLL_MS = 2_000;
const PING_TIMEOUT_S = 5;

export interface RecoveryTestResult extends Record<string, unknown> {
  /** The test copy's name (removed again). */
  testVm: string;
  point: string;
  /** How the copy showed it came up. */
  heartbeat: 'guest agent' | 'kept running';
  /** Seconds from power-on to the heartbeat (the whole wait for 'kept running'). */
  seconds: number;
}

export async function startRecoveryTestJob(
  engine: Engine,
  request: RecoveryTestRequest,
): Promise<Job> {
  const restore = {
    vm: request.vm,
    pointId: request.pointId,
    hypervisorId: request.hypervisorId,
    ...(request.pool ? { pool: request.pool } : {}),
    inPlace: false,
    confirmInPlace: false,
    diskFormat: 'qcow2' as const,
    powerOn: true,
  };
  const source = findRestorePoint(engine, request.vm, request.pointId);
  const name = `${source.vmName}-recovery-test-${randomUUID().slice(0, 8)}`;
  const plan = await planRestore(engine, { ...restore, name });
  plan.isolateNetwork = true;
  const where = plan.destination.hypervisorName;
  const title = `Recovery test of ${plan.source.point.vmName} (${plan.source.point.time}) on ${where}`;
  return engine.jobs.start('restore', title, async (ctx) => {
    const undo = new UndoLog(ctx);
    try {
      const restored = await runRestore(ctx, plan, { ...restore, name }, undo);
      ctx.phase('waiting for the guest');
      const hasAgent = /org\.qemu\.guest_agent\.0/.test(plan.domainXml);
      // The verdict is a row of its own, so the job's VMs table and `--wait` both show it.
      const check = ctx.task('boot', `${name}: boot check`);
      check.progress({ phase: hasAgent ? 'waiting for its guest agent' : 'watching it run' });
      const came = await watchBoot(ctx, plan.destination.connector, restored.dom, {
        seconds: request.bootSeconds,
        hasAgent,
      }).catch((err: unknown) => {
        check.fail(err);
        throw err;
      });
      const result: RecoveryTestResult = {
        testVm: name,
        point: plan.source.point.id,
        heartbeat: came.heartbeat,
        seconds: came.seconds,
      };
      const verdict =
        came.heartbeat === 'guest agent'
          ? `came up: its QEMU guest agent answered ${came.seconds} s after power-on`
          : `kept running for ${came.seconds} s (it has no guest agent channel, so only its power state was checked)`;
      check.finish('succeeded', verdict);
      ctx.log(`Passed: the copy ${verdict}`);
      return result;
    } catch (err) {
      // The copy could not be restored or started: the test failed, for libvirt's reason.
      const error = toErrorData(err);
      if (ctx.signal.aborted || error.message.startsWith('Recovery test failed')) throw err;
      throw new HyperkeepError(error.code, `Recovery test failed: ${error.message}`);
    } finally {
      ctx.phase('removing the test VM');
      await undo.rollback();
    }
  });
}

/**
 * Polls the copy every 2 s for `seconds`: it must stay running; with an agent channel, the
 * first guest-ping answered ends the wait.
 */
async function watchBoot(
  ctx: JobContext,
  connector: LibvirtConnector,
  dom: DomainRef,
  options: { seconds: number; hasAgent: boolean },
): Promise<{ heartbeat: RecoveryTestResult['heartbeat']; seconds: number }> {
  const agent = new GuestAgent(connector.rpc, dom);
  const started = Date.now();
  const elapsed = () => Math.round((Date.now() - started) / 1000);
  // Bounded: each round waits POLL_MS (or a ping's timeout) until `seconds` have passed.
  while (Date.now() - started < options.seconds * 1000) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const { state } = await invoke(connector.rpc, DOMAIN_GET_STATE, { dom });
    if (state !== DomainState.RUNNING && state !== DomainState.BLOCKED)
      throw new HyperkeepError(
        'HYPERVISOR_ERROR',
        `Recovery test failed: the copy of the VM was ${POWER_STATES[state] ?? `in state ${state}`} ${elapsed()} s after power-on.`,
      );
    if (options.hasAgent) {
      const answered = await agent
        .command('guest-ping', undefined, { timeoutSeconds: PING_TIMEOUT_S, signal: ctx.signal })
        .then(
          () => true,
          () => false,
        );
      if (answered) return { heartbeat: 'guest agent', seconds: elapsed() };
    }
    await sleep(POLL_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
  if (ctx.signal.aborted) throw ctx.signal.reason;
  if (options.hasAgent)
    throw new HyperkeepError(
      'HYPERVISOR_ERROR',
      `Recovery test failed: the copy kept running, but its QEMU guest agent did not answer within ${options.seconds} s (the guest may not have booted).`,
    );
  return { heartbeat: 'kept running', seconds: elapsed() };
}

/**
 * A subclient's scheduled recovery tests: one job per VM of the subclient (as discovery last
 * placed them) that has a point in its repository, testing the newest. Says which VMs it left
 * out and why; a VM that cannot be tested does not keep the others from it.
 */
export async function startSubclientRecoveryTests(
  engine: Engine,
  backupSetId: string,
  subclientId: string,
): Promise<{ started: Job[]; skipped: string[] }> {
  const set = engine.backupSets.get(backupSetId);
  const subclient = set.subclients.find((s) => s.id === subclientId);
  if (!subclient) throw new HyperkeepError('NOT_FOUND', 'No such subclient in this backup set.');
  const { repository } = subclient.settings.storage;
  const { hypervisor, bootSeconds } = subclient.settings.recoveryTest;
  const members = engine.discovery
    .assignments(backupSetId)
    .assignments.filter((a) => a.subclientId === subclientId && a.status !== 'vanished');
  const started: Job[] = [];
  const skipped: string[] = [];
  for (const member of members) {
    const newest = engine.repositories
      .points(member.vmUuid)
      .find((p) => p.repository.toLowerCase() === repository.toLowerCase());
    if (!newest) {
      skipped.push(`${member.vmName}: no restore point in repository "${repository}" yet`);
      continue;
    }
    // Each VM's start is checked on its own (a vSphere host, a name already taken…).
    try {
      const request = {
        vm: member.vmUuid,
        pointId: newest.id,
        hypervisorId: hypervisor || member.hypervisorId,
        bootSeconds,
      };
      started.push(await startRecoveryTestJob(engine, request));
    } catch (err) {
      skipped.push(`${member.vmName}: ${toErrorData(err).message}`);
    }
  }
  return { started, skipped };
}

/**
 * A subclient's scheduled recovery test host, checked when the settings are saved rather than
 * at 06:00 on Saturday: it must be a registered libvirt host ('' means each VM's own host).
 */
export function assertRecoveryTestHost(
  engine: Engine,
  settings: SubclientSettings | undefined,
): void {
  const host = settings?.recoveryTest.enabled ? settings.recoveryTest.hypervisor.trim() : '';
  if (!host) return;
  const field = 'settings.recoveryTest.hypervisor';
  let hypervisor: Hypervisor;
  try {
    hypervisor = engine.hypervisors.find(host);
  } catch {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `No hypervisor "${host}" is registered to run the recovery tests on: choose a registered libvirt (KVM) host, or each VM's own host.`,
      { field },
    );
  }
  if (hypervisor.type !== 'libvirt')
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Recovery tests boot the copy on a libvirt (KVM) host; ${hypervisor.name} is a ${hypervisor.type} host.`,
      { field },
    );
}

/**
 * One VM into a repository (the backup of issue 4): pre command → quiesce through the guest
 * agent, or crash-consistent → libvirt pull-mode backup with a checkpoint → disks over NBD
 * (changed blocks only when the checkpoint chain holds, else block comparison) → commit with the
 * domain XML → end the job, tidy checkpoints and temporaries → post command. Powered-off VMs are
 * read through libvirt's volume download without being started. Every point is a synthetic full.
 */
import { HyperkeepError } from '../../../shared/errors';
import type { LibvirtConnector } from '../connectors/libvirt/libvirt-connector';
import { parseDomainXml } from '../connectors/libvirt/domain-xml';
import {
  CONNECT_GET_HOSTNAME,
  DOMAIN_GET_BLOCK_INFO,
  DOMAIN_GET_STATE,
  DOMAIN_GET_XML_DESC,
  DOMAIN_LOOKUP_BY_UUID,
  DomainXmlFlags,
  invoke,
  isPoweredOff,
  uuidFromString,
  type DomainRef,
} from '../connectors/libvirt/procedures';
import { selectDisks } from './disk-selection';
import { runHookCommand } from './hook-command';
import { humanSizeWithBytes } from './human-size';
import { backupRunningVm } from './live-backup';
import { backupPoweredOffVm } from './offline-backup';
import { ProgressTracker } from './progress';
import type { BackupVmRequest, BackupVmResult } from './types';
import { parentPoint, type PathResult, type PlannedDisk, type VmBackupContext } from './vm-context';

export type * from './types';

export async function backupVm(request: BackupVmRequest): Promise<BackupVmResult> {
  const started = Date.now();
  const { connector, signal, settings } = request;
  const warnings: string[] = [];
  const warn = (line: string): void => {
    warnings.push(line);
    request.log(`WARNING: ${line}`);
  };
  if (signal.aborted)
    throw new HyperkeepError('CANCELLED', 'The backup was cancelled before it started');
  await connector.connect(signal);
  const dom = await lookupVm(connector, request.vmUuid);
  const ctx = await describeVm(request, dom, warn);
  const running = ctx.pointVm.powerState === 'running';
  request.log(
    `Backing up ${ctx.pointVm.name} (${running ? 'running' : 'powered off'}) on ${ctx.hostname}: ` +
      `disks ${ctx.disks.map((d) => d.target).join(', ')}` +
      (ctx.parent ? `, incremental to point ${ctx.parent.id}` : ', full'),
  );
  const hookEnv = {
    HK_VM_NAME: ctx.pointVm.name,
    HK_VM_UUID: ctx.pointVm.uuid,
    HK_HOST: ctx.hostname,
  };
  let result: PathResult | undefined;
  let failure: unknown;
  try {
    if (settings.preCommand.trim() !== '') {
      ctx.progress.phase('pre-script');
      await runHookCommand({
        what: 'pre-backup',
        command: settings.preCommand,
        env: { ...hookEnv, HK_PHASE: 'pre' },
        timeoutSeconds: settings.timeoutSeconds,
        signal,
        log: request.log,
      });
    }
    result = running ? await backupRunningVm(ctx) : await backupPoweredOffVm(ctx);
  } catch (err) {
    failure = err;
  }
  if (
    settings.postCommand.trim() !== '' &&
    (failure === undefined || settings.postOnFailure !== false)
  ) {
    ctx.progress.phase('post-script');
    const status = failure === undefined ? 'succeeded' : signal.aborted ? 'cancelled' : 'failed';
    try {
      // Not tied to the job's signal: a post command that restarts a service must run after a cancel too.
      await runHookCommand({
        what: 'post-backup',
        command: settings.postCommand,
        env: {
          ...hookEnv,
          HK_PHASE: 'post',
          HK_STATUS: status,
          HK_POINT_ID: result?.pointId ?? '',
        },
        timeoutSeconds: settings.timeoutSeconds,
        signal: new AbortController().signal,
        log: request.log,
      });
    } catch (err) {
      warn(err instanceof Error ? err.message : String(err));
    }
  }
  if (failure !== undefined || result === undefined)
    throw asFailure(failure, signal, ctx.pointVm.name);
  if (result.fallbackReason) request.log(result.fallbackReason);
  const read = result.disks.reduce((n, d) => n + d.readBytes, 0);
  const stored = result.disks.reduce((n, d) => n + d.newBytes, 0);
  request.log(
    `Restore point ${result.pointId} committed: ${result.type}, ${result.consistency}, ` +
      `${humanSizeWithBytes(read)} read, ${humanSizeWithBytes(stored)} new to the repository`,
  );
  return { ...result, warnings, durationMs: Date.now() - started };
}

function asFailure(err: unknown, signal: AbortSignal, vmName: string): unknown {
  if (signal.aborted && !(err instanceof HyperkeepError && err.code === 'CANCELLED')) {
    return new HyperkeepError('CANCELLED', `The backup of ${vmName} was cancelled`, undefined, {
      cause: err,
    });
  }
  return err ?? new HyperkeepError('INTERNAL', `The backup of ${vmName} ended without a result`);
}

async function lookupVm(connector: LibvirtConnector, vmUuid: string): Promise<DomainRef> {
  const uuid = uuidFromString(vmUuid);
  if (!uuid) throw new HyperkeepError('INVALID_INPUT', `"${vmUuid}" is not a VM UUID`);
  try {
    return await invoke(connector.rpc, DOMAIN_LOOKUP_BY_UUID, { uuid });
  } catch (err) {
    if (!(err instanceof HyperkeepError) || err.code !== 'NOT_FOUND') throw err;
    throw new HyperkeepError(
      'NOT_FOUND',
      `VM ${vmUuid} no longer exists on ${connector.endpoint}: it was deleted or moved to another host`,
      { vm: vmUuid },
    );
  }
}

/** Configuration, disks with their sizes and the parent point: what both backup paths need. */
async function describeVm(
  request: BackupVmRequest,
  dom: DomainRef,
  warn: (line: string) => void,
): Promise<VmBackupContext> {
  const rpc = request.connector.rpc;
  const [state, liveXml, domainXml, hostname] = await Promise.all([
    invoke(rpc, DOMAIN_GET_STATE, { dom }),
    invoke(rpc, DOMAIN_GET_XML_DESC, { dom, flags: 0 }),
    invoke(rpc, DOMAIN_GET_XML_DESC, { dom, flags: DomainXmlFlags.INACTIVE }),
    invoke(rpc, CONNECT_GET_HOSTNAME, undefined),
  ]);
  const running = !isPoweredOff(state.state);
  // The live XML names the images QEMU has open right now (after a block copy, say).
  const parsed = parseDomainXml(running ? liveXml : domainXml);
  const { included, skipped } = selectDisks(parsed.disks, request.settings.excludeDisks);
  for (const s of skipped) request.log(`Not backing up ${s.target}: ${s.reason}`);
  if (included.length === 0) {
    throw new HyperkeepError('INVALID_INPUT', `VM ${parsed.name} has no disk to back up`, {
      skipped,
    });
  }
  const disks: PlannedDisk[] = [];
  for (const d of included) {
    const info = await invoke(rpc, DOMAIN_GET_BLOCK_INFO, { dom, disk: d.target });
    disks.push({
      target: d.target,
      source: d.path,
      format: d.format,
      capacityBytes: info.capacity,
      physicalBytes: info.physical,
    });
  }
  const otherDisks = parsed.disks
    .filter((d) => d.device === 'disk' && d.target && !included.includes(d))
    .map((d) => d.target);
  const parent = await parentPoint(request, warn);
  return {
    request,
    dom,
    pointVm: {
      uuid: parsed.uuid,
      name: parsed.name,
      host: hostname,
      powerState: running ? 'running' : 'shutoff',
    },
    hostname,
    domainXml,
    disks,
    otherDisks,
    parent,
    progress: new ProgressTracker(request.onProgress),
    log: request.log,
    warn,
  };
}

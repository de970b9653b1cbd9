import {
  ConnectionTestResult,
  type Hypervisor,
  type HypervisorInput,
} from '../../../shared/domain/hypervisor';
import type { VirtualMachine } from '../../../shared/domain/vm';
import { HyperkeepError, toErrorData } from '../../../shared/errors';
import type { VmListResult } from '../../../shared/contract';
import type { ConnectionSettings, HypervisorConnector } from '../connectors/connector';
import { createConnector } from '../connectors/create-connector';
import { VsphereConnector } from '../connectors/vsphere/vsphere-connector';
import type { HypervisorStore } from './hypervisor-store';
import { dropSameHostDuplicates } from './same-host';

/** How long one hypervisor may take to answer before the console stops waiting for it. */
const ASK_TIMEOUT_MS = 20_000;

async function withTimeout<T>(what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new HyperkeepError('TIMEOUT', `${what} did not answer within ${ASK_TIMEOUT_MS / 1000} s.`),
      );
    }, ASK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The TLS certificate a vSphere server presented, so the console can show it for acceptance. */
function presentedCertificate(
  connector: HypervisorConnector | undefined,
  err: unknown,
): ConnectionTestResult['certificate'] {
  if (connector instanceof VsphereConnector && connector.certificate) return connector.certificate;
  const fromError = err instanceof HyperkeepError ? err.details?.['certificate'] : undefined;
  return ConnectionTestResult.shape.certificate.safeParse(fromError).data;
}

/** Live inventory: one open connection per registered hypervisor, reused across requests. */
export class Inventory {
  private readonly connectors = new Map<string, { uri: string; connector: HypervisorConnector }>();

  constructor(
    private readonly store: HypervisorStore,
    /** Told when a host's name was learned or changed, so the consoles reload the hypervisor list. */
    private readonly onHostnameChanged: (hypervisorId: string) => void = () => undefined,
  ) {}

  private rememberHostname(hypervisorId: string, hostname: string): void {
    // Nothing new, or removed while its VMs were being listed: nobody needs telling.
    if (this.store.rememberHostname(hypervisorId, hostname)) this.onHostnameChanged(hypervisorId);
  }

  private connectorFor(hypervisor: Hypervisor): HypervisorConnector {
    const cached = this.connectors.get(hypervisor.id);
    if (cached && cached.uri === hypervisor.uri) return cached.connector;
    if (cached) void cached.connector.close().catch(() => undefined);
    const connector = createConnector(this.store.settings(hypervisor.id));
    this.connectors.set(hypervisor.id, { uri: hypervisor.uri, connector });
    return connector;
  }

  /** The live, connected connector of a registered hypervisor (shared with the inventory). */
  async connector(hypervisorId: string): Promise<HypervisorConnector> {
    const connector = this.connectorFor(this.store.get(hypervisorId));
    await connector.connect();
    return connector;
  }

  /** Drops the cached connection, e.g. after the hypervisor was edited or removed. */
  forget(id: string): void {
    const cached = this.connectors.get(id);
    this.connectors.delete(id);
    if (cached) void cached.connector.close().catch(() => undefined);
  }

  async listVms(hypervisorId?: string): Promise<VmListResult> {
    const targets = hypervisorId ? [this.store.get(hypervisorId)] : this.store.list();
    const result: VmListResult = { vms: [], errors: [] };
    const answers = await Promise.allSettled(targets.map((h) => this.vmsOf(h)));
    answers.forEach((answer, i) => {
      const hypervisor = targets[i]!;
      if (answer.status === 'fulfilled') result.vms.push(...answer.value);
      else
        result.errors.push({
          hypervisorId: hypervisor.id,
          hypervisorName: hypervisor.name,
          error: toErrorData(answer.reason),
        });
    });
    dropSameHostDuplicates(result, targets);
    result.vms.sort((a, b) => a.name.localeCompare(b.name));
    return result;
  }

  private async vmsOf(hypervisor: Hypervisor): Promise<VirtualMachine[]> {
    const connector = this.connectorFor(hypervisor);
    const vms = await withTimeout(`Hypervisor "${hypervisor.name}"`, async (signal) => {
      await connector.connect(signal);
      return connector.listVms();
    });
    const host = vms[0]?.host;
    if (host && host !== hypervisor.hostname) this.rememberHostname(hypervisor.id, host);
    return vms.map((vm) => ({
      ...vm,
      hypervisorId: hypervisor.id,
      hypervisorName: hypervisor.name,
    }));
  }

  /** Tests a registered hypervisor, or the settings typed in the dialog before they are saved. */
  async test(target: { id: string } | HypervisorInput): Promise<ConnectionTestResult> {
    const registered = 'id' in target;
    const settings: ConnectionSettings = registered ? this.store.settings(target.id) : target;
    const started = performance.now();
    let connector: HypervisorConnector | undefined;
    try {
      connector = createConnector(settings);
      const live = connector;
      const { host, vmCount } = await withTimeout(
        `The hypervisor at ${settings.uri}`,
        async (signal) => {
          await live.connect(signal);
          const host = await live.hostInfo();
          const vms = await live.listVms();
          return { host, vmCount: vms.length };
        },
      );
      if (registered) this.rememberHostname(target.id, host.hostname);
      const certificate = presentedCertificate(connector, undefined);
      return {
        ok: true,
        host,
        vmCount,
        latencyMs: Math.round(performance.now() - started),
        ...(certificate ? { certificate } : {}),
      };
    } catch (err) {
      const { code, message } = toErrorData(err);
      const certificate = presentedCertificate(connector, err);
      return {
        ok: false,
        latencyMs: Math.round(performance.now() - started),
        error: { code, message },
        ...(certificate ? { certificate } : {}),
      };
    } finally {
      await connector?.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.connectors.values()].map((c) => c.connector.close()));
    this.connectors.clear();
  }
}

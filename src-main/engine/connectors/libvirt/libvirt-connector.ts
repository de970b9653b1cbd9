/**
 * HypervisorConnector for libvirt/QEMU hosts, speaking libvirt's remote protocol directly (no
 * virsh, no native binding): AUTH_LIST → CONNECT_OPEN on every fresh connection, then read-only
 * calls to describe the host and its domains.
 */
import type { HostInfo } from '../../../../shared/domain/hypervisor';
import type { PowerState, VirtualDisk } from '../../../../shared/domain/vm';
import { HyperkeepError } from '../../../../shared/errors';
import type { ConnectionSettings, DiscoveredVm, HypervisorConnector } from '../connector';
import { describeHostCpu, parseHostCpu } from './capabilities-xml';
import { parseDomainXml, type ConfiguredDisk } from './domain-xml';
import {
  AUTH_LIST,
  AUTH_POLKIT,
  AuthType,
  CONNECT_CLOSE,
  CONNECT_GET_CAPABILITIES,
  CONNECT_GET_HOSTNAME,
  CONNECT_GET_LIB_VERSION,
  CONNECT_GET_VERSION,
  CONNECT_LIST_ALL_DOMAINS,
  CONNECT_OPEN,
  CONNECT_SUPPORTS_FEATURE,
  DOMAIN_GET_BLOCK_INFO,
  DOMAIN_GET_STATE,
  DOMAIN_GET_XML_DESC,
  DOMAIN_LOOKUP_BY_NAME,
  DOMAIN_LOOKUP_BY_UUID,
  DomainState,
  DrvFeature,
  invoke,
  NODE_GET_INFO,
  uuidFromString,
  type DomainRef,
  type RpcCaller,
  type RpcStreamCaller,
} from './procedures';
import type { RpcUploadCaller } from './outgoing-stream';
import { RpcClient } from './rpc-client';
import { capitalize, type RpcConnection } from './rpc-connection';
import { transportFor } from './transport';
import { parseLibvirtUri, type LibvirtTarget, type UriEnvironment } from './uri';

export interface LibvirtConnectorOptions {
  /** Where session sockets are looked for; defaults to this process's environment. */
  env?: UriEnvironment;
  connectTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  callTimeoutMs?: number;
}

/** Domains described at once: enough to keep libvirtd's workers busy without flooding them. */
const DESCRIBE_CONCURRENCY = 4;
const BLOCK_INFO_TIMEOUT_MS = 20_000;

/** virDomainState as the inventory names it. */
export const POWER_STATES: Record<number, PowerState> = {
  [DomainState.NOSTATE]: 'unknown',
  [DomainState.RUNNING]: 'running',
  [DomainState.BLOCKED]: 'blocked',
  [DomainState.PAUSED]: 'paused',
  [DomainState.SHUTDOWN]: 'shutdown',
  [DomainState.SHUTOFF]: 'shutoff',
  [DomainState.CRASHED]: 'crashed',
  [DomainState.PMSUSPENDED]: 'suspended',
};

export class LibvirtConnector implements HypervisorConnector {
  readonly type = 'libvirt' as const;
  readonly target: LibvirtTarget;
  private readonly client: RpcClient;

  constructor(settings: ConnectionSettings, options: LibvirtConnectorOptions = {}) {
    this.target = parseLibvirtUri(settings.uri, options.env);
    const transport = transportFor(this.target);
    this.client = new RpcClient({
      transport,
      handshake: (connection, signal) => this.handshake(connection, signal),
      farewell: (connection) => invoke(connection, CONNECT_CLOSE, undefined, { timeoutMs: 2_000 }),
      connectTimeoutMs: options.connectTimeoutMs,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      callTimeoutMs: options.callTimeoutMs,
    });
  }

  /**
   * The reconnecting RPC client, for procedures beyond HypervisorConnector (backup jobs,
   * checkpoints, volume streams): `invoke(connector.rpc, PROCEDURE, args)`.
   */
  get rpc(): RpcCaller {
    return this.client;
  }

  /** The same client for stream-opening calls (volume downloads): `invokeDownload(…)`. */
  get streams(): RpcStreamCaller {
    return this.client;
  }

  /** The same client for stream-writing calls (volume uploads): `invokeUpload(…)`. */
  get uploads(): RpcUploadCaller {
    return this.client;
  }

  /** "the libvirt socket /run/…" or "host:16509 (libvirt over TCP)". */
  get endpoint(): string {
    return this.client.endpoint;
  }

  connect(signal?: AbortSignal): Promise<void> {
    return this.client.connect(signal);
  }

  async hostInfo(): Promise<HostInfo> {
    const [hostname, hvVersion, libVersion, node, capabilities] = await Promise.all([
      invoke(this.client, CONNECT_GET_HOSTNAME, undefined),
      invoke(this.client, CONNECT_GET_VERSION, undefined),
      invoke(this.client, CONNECT_GET_LIB_VERSION, undefined),
      invoke(this.client, NODE_GET_INFO, undefined),
      invoke(this.client, CONNECT_GET_CAPABILITIES, undefined),
    ]);
    return {
      hostname,
      hypervisorVersion: `QEMU ${formatVersion(hvVersion)} / libvirt ${formatVersion(libVersion)}`,
      cpuModel: describeHostCpu(parseHostCpu(capabilities), node.model),
      cpus: node.cpus,
      memoryBytes: node.memoryKiB * 1024,
    };
  }

  async listVms(): Promise<DiscoveredVm[]> {
    const [domains, host] = await Promise.all([
      invoke(this.client, CONNECT_LIST_ALL_DOMAINS, { flags: 0 }),
      invoke(this.client, CONNECT_GET_HOSTNAME, undefined),
    ]);
    const described = await mapLimit(domains, DESCRIBE_CONCURRENCY, async (dom) => {
      try {
        return await this.describe(dom, host);
      } catch (err) {
        // Undefined between the listing and our look at it: it is simply gone.
        if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') return null;
        throw err;
      }
    });
    return described.filter((vm): vm is DiscoveredVm => vm !== null);
  }

  async getVm(uuidOrName: string): Promise<DiscoveredVm> {
    const [dom, host] = await Promise.all([
      this.lookup(uuidOrName),
      invoke(this.client, CONNECT_GET_HOSTNAME, undefined),
    ]);
    return this.describe(dom, host);
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private async handshake(connection: RpcConnection, signal: AbortSignal): Promise<void> {
    const endpoint = connection.endpoint;
    // The daemon accepts nothing but AUTH_LIST until the client is authenticated.
    const types = await invoke(connection, AUTH_LIST, undefined, { signal });
    if (types.length > 0 && !types.includes(AuthType.NONE)) {
      if (!types.includes(AuthType.POLKIT)) {
        throw new HyperkeepError(
          'AUTH_FAILED',
          `${capitalize(endpoint)} requires SASL authentication, which Hyperkeep does not support yet. ` +
            `Set auth_unix_rw / auth_tcp = "none" in libvirtd.conf (TCP only on a trusted ` +
            `network) or connect through the local unix socket.`,
          { endpoint, authTypes: types },
        );
      }
      // polkit: the daemon checks our uid itself; the call answers or fails with AUTH_FAILED.
      const allowed = await invoke(connection, AUTH_POLKIT, undefined, { signal });
      if (!allowed) {
        throw new HyperkeepError(
          'AUTH_FAILED',
          `polkit did not allow this user to use ${endpoint}`,
          {
            endpoint,
          },
        );
      }
    }
    try {
      await invoke(connection, CONNECT_OPEN, { name: this.target.openName, flags: 0 }, { signal });
    } catch (err) {
      if (!(err instanceof HyperkeepError) || err.code === 'CANCELLED') throw err;
      throw new HyperkeepError(
        err.code === 'AUTH_FAILED' ? 'AUTH_FAILED' : 'CONNECT_FAILED',
        `${capitalize(endpoint)} refused to open ${this.target.openName}: ${err.message}`,
        { ...err.details, endpoint, name: this.target.openName },
        { cause: err },
      );
    }
    // Like libvirt's own client: let the daemon ping us (RpcConnection answers), so it notices
    // when we vanish and we keep idle connections alive through NAT and firewalls.
    await invoke(
      connection,
      CONNECT_SUPPORTS_FEATURE,
      { feature: DrvFeature.PROGRAM_KEEPALIVE },
      { signal },
    );
  }

  private async lookup(uuidOrName: string): Promise<DomainRef> {
    const uuid = uuidFromString(uuidOrName);
    try {
      if (uuid) {
        try {
          return await invoke(this.client, DOMAIN_LOOKUP_BY_UUID, { uuid });
        } catch (err) {
          // A VM may be named like a UUID; libvirt allows it.
          if (!(err instanceof HyperkeepError) || err.code !== 'NOT_FOUND') throw err;
        }
      }
      return await invoke(this.client, DOMAIN_LOOKUP_BY_NAME, { name: uuidOrName });
    } catch (err) {
      if (!(err instanceof HyperkeepError) || err.code !== 'NOT_FOUND') throw err;
      throw new HyperkeepError(
        'NOT_FOUND',
        `No VM with the name or UUID "${uuidOrName}" on ${this.endpoint}`,
        { ...err.details, vm: uuidOrName },
        { cause: err },
      );
    }
  }

  private async describe(dom: DomainRef, host: string): Promise<DiscoveredVm> {
    const [xml, state] = await Promise.all([
      invoke(this.client, DOMAIN_GET_XML_DESC, { dom, flags: 0 }),
      invoke(this.client, DOMAIN_GET_STATE, { dom }),
    ]);
    const parsed = parseDomainXml(xml);
    const disks = await Promise.all(parsed.disks.map((disk) => this.withCapacity(dom, disk)));
    const vm: DiscoveredVm = {
      uuid: parsed.uuid,
      name: parsed.name,
      host,
      powerState: POWER_STATES[state.state] ?? 'unknown',
      vcpus: parsed.vcpus,
      memoryBytes: parsed.memoryBytes,
      disks,
      nics: parsed.nics,
      provisionedBytes: disks.reduce((sum, d) => sum + d.capacityBytes, 0),
      metadata: parsed.metadata,
    };
    if (parsed.osType !== undefined) vm.osType = parsed.osType;
    if (parsed.guestOs !== undefined) vm.guestOs = parsed.guestOs;
    if (parsed.title !== undefined) vm.title = parsed.title;
    if (parsed.description !== undefined) vm.description = parsed.description;
    if (parsed.firmware !== undefined) vm.firmware = parsed.firmware;
    return vm;
  }

  /**
   * Capacity from DOMAIN_GET_BLOCK_INFO (also answers for shut-off domains with file disks). A disk
   * libvirt cannot size (empty CD-ROM, unreachable network disk, missing file) counts as 0 rather
   * than hiding the whole VM; a lost connection still fails the listing.
   */
  private async withCapacity(dom: DomainRef, disk: ConfiguredDisk): Promise<VirtualDisk> {
    if (!disk.path || !disk.target) return { ...disk, capacityBytes: 0 };
    try {
      const info = await invoke(
        this.client,
        DOMAIN_GET_BLOCK_INFO,
        { dom, disk: disk.target },
        { timeoutMs: BLOCK_INFO_TIMEOUT_MS },
      );
      return { ...disk, capacityBytes: info.capacity, allocationBytes: info.allocation };
    } catch (err) {
      const sizeUnknown =
        err instanceof HyperkeepError &&
        (err.code === 'HYPERVISOR_ERROR' || err.code === 'NOT_FOUND' || err.code === 'TIMEOUT');
      if (!sizeUnknown) throw err;
      return { ...disk, capacityBytes: 0 };
    }
  }
}

export function createLibvirtConnector(
  settings: ConnectionSettings,
  options?: LibvirtConnectorOptions,
): LibvirtConnector {
  return new LibvirtConnector(settings, options);
}

/** libvirt packs versions as major * 1,000,000 + minor * 1,000 + release. */
export function formatVersion(packed: number): string {
  const major = Math.floor(packed / 1_000_000);
  const minor = Math.floor((packed % 1_000_000) / 1_000);
  return `${major}.${minor}.${packed % 1_000}`;
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

import type { HostInfo, HypervisorType } from '../../../shared/domain/hypervisor';
import type { VirtualMachine } from '../../../shared/domain/vm';

/** A VM as a connector sees it, before the engine stamps which registered hypervisor it came from. */
export type DiscoveredVm = Omit<VirtualMachine, 'hypervisorId' | 'hypervisorName'>;

/** How to reach a hypervisor: what the administrator registered, with the password decrypted. */
export interface ConnectionSettings {
  type: HypervisorType;
  uri: string;
  username?: string;
  password?: string;
  /** vSphere: the accepted SHA-256 fingerprint of the server's TLS certificate. */
  certificateFingerprint?: string;
}

/**
 * One implementation per hypervisor kind (connectors/<kind>/). Errors are HyperkeepErrors with
 * codes INVALID_URI, CONNECT_FAILED, AUTH_FAILED, HYPERVISOR_ERROR, TIMEOUT, NOT_FOUND.
 */
export interface HypervisorConnector {
  readonly type: HypervisorType;
  /** Opens the connection (idempotent); reconnects transparently after the peer restarts. */
  connect(signal?: AbortSignal): Promise<void>;
  hostInfo(): Promise<HostInfo>;
  listVms(): Promise<DiscoveredVm[]>;
  /** By UUID or name. */
  getVm(uuidOrName: string): Promise<DiscoveredVm>;
  close(): Promise<void>;
}

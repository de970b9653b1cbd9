/**
 * Finding the VM a file restore writes into: a running libvirt VM on a registered hypervisor,
 * named or by UUID, whose QEMU guest agent answers.
 */
import type { GuestAgentStatus } from '../../../../shared/domain/restore';
import { HyperkeepError } from '../../../../shared/errors';
import { GuestAgent, type GuestOsInfo } from '../../connectors/libvirt/guest-agent';
import { LibvirtConnector } from '../../connectors/libvirt/libvirt-connector';
import {
  DOMAIN_LOOKUP_BY_NAME,
  DOMAIN_LOOKUP_BY_UUID,
  invoke,
  uuidFromString,
  type DomainRef,
} from '../../connectors/libvirt/procedures';
import type { Engine } from '../../engine';

export interface GuestTarget {
  agent: GuestAgent;
  vmName: string;
  vmUuid: string;
  hypervisorName: string;
}

function uuidText(uuid: Buffer): string {
  const h = uuid.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The VM on the registered libvirt hypervisors, without pinging its agent. */
export async function findGuestVm(engine: Engine, vm: string): Promise<GuestTarget> {
  const uuid = uuidFromString(vm);
  const found: GuestTarget[] = [];
  const otherKinds: string[] = [];
  const unreachable: string[] = [];
  for (const hypervisor of engine.hypervisors.list()) {
    if (hypervisor.type !== 'libvirt') {
      otherKinds.push(`${hypervisor.name} (${hypervisor.type})`);
      continue;
    }
    let connector;
    try {
      connector = await engine.inventory.connector(hypervisor.id);
    } catch {
      unreachable.push(hypervisor.name);
      continue;
    }
    if (!(connector instanceof LibvirtConnector)) {
      otherKinds.push(`${hypervisor.name} (${hypervisor.type})`);
      continue;
    }
    let dom: DomainRef;
    try {
      dom = uuid
        ? await invoke(connector.rpc, DOMAIN_LOOKUP_BY_UUID, { uuid })
        : await invoke(connector.rpc, DOMAIN_LOOKUP_BY_NAME, { name: vm });
    } catch (err) {
      if (err instanceof HyperkeepError && err.code === 'NOT_FOUND') continue;
      unreachable.push(hypervisor.name);
      continue;
    }
    found.push({
      agent: new GuestAgent(connector.rpc, dom),
      vmName: dom.name,
      vmUuid: uuidText(dom.uuid),
      hypervisorName: hypervisor.name,
    });
  }
  if (found.length > 1)
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Several VMs are named "${vm}" (on ${found.map((f) => f.hypervisorName).join(', ')}); name the VM by its UUID.`,
      { field: 'guestVm' },
    );
  const target = found[0];
  if (target) return target;
  const also = [
    otherKinds.length
      ? ` Restoring through the guest agent needs a libvirt (KVM) VM; ${otherKinds.join(', ')} cannot.`
      : '',
    unreachable.length ? ` Not reachable now: ${unreachable.join(', ')}.` : '',
  ].join('');
  throw new HyperkeepError(
    'NOT_FOUND',
    `No VM "${vm}" on the registered libvirt hypervisors.${also}`,
    { field: 'guestVm' },
  );
}

/** The VM with an agent that answered guest-ping, and what the agent says of the guest's OS. */
export async function openGuestTarget(
  engine: Engine,
  vm: string,
  signal?: AbortSignal,
): Promise<GuestTarget & { os: GuestOsInfo }> {
  const target = await findGuestVm(engine, vm);
  await target.agent.ping({ signal });
  const os = await target.agent.osInfo({ signal });
  return { ...target, os };
}

/** `vm.guestAgentStatus`: answers "not available, because …" rather than failing. */
export async function guestAgentStatus(engine: Engine, vm: string): Promise<GuestAgentStatus> {
  const target = await findGuestVm(engine, vm);
  const base = { vm: target.vmName, vmUuid: target.vmUuid };
  try {
    await target.agent.ping();
    const [info, os] = await Promise.all([target.agent.info(), target.agent.osInfo()]);
    return {
      ...base,
      available: true,
      agentVersion: info.version,
      ...(os.name ? { guestOs: os.name } : {}),
      windows: os.windows,
    };
  } catch (err) {
    return { ...base, available: false, message: err instanceof Error ? err.message : String(err) };
  }
}

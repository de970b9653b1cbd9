import type { VmListResult } from '../../../shared/contract';
import type { Engine } from '../engine';
import type { HandlerGroup } from './handlers';

type HypervisorChannel =
  | 'hypervisor.list'
  | 'hypervisor.add'
  | 'hypervisor.update'
  | 'hypervisor.remove'
  | 'hypervisor.test'
  | 'vm.list';

export function hypervisorHandlers(engine: Engine): HandlerGroup<HypervisorChannel> {
  const changed = (hypervisorId?: string) => {
    engine.events.emit('hypervisors.changed', {});
    engine.events.emit('inventory.changed', hypervisorId ? { hypervisorId } : {});
  };
  return {
    'hypervisor.list': () => engine.hypervisors.list(),
    'hypervisor.add': (input) => {
      const added = engine.hypervisors.add(input);
      changed(added.id);
      return added;
    },
    'hypervisor.update': (change) => {
      const updated = engine.hypervisors.update(change);
      engine.inventory.forget(updated.id);
      changed(updated.id);
      return updated;
    },
    'hypervisor.remove': ({ id }) => {
      engine.hypervisors.remove(id);
      engine.inventory.forget(id);
      changed();
      return {};
    },
    'hypervisor.test': (target) => engine.inventory.test(target),
    'vm.list': async ({ hypervisorId }) =>
      withDetectedGuestOs(engine, await engine.inventory.listVms(hypervisorId)),
  };
}

/**
 * Where the hypervisor does not say which OS a VM runs (libosinfo metadata), the OS detected from
 * the file systems of its newest cataloged point fills in (issue 5: shown in the inventory).
 */
function withDetectedGuestOs(engine: Engine, result: VmListResult): VmListResult {
  const detected = engine.fileCatalog.latestGuestOsByVm();
  const vms = result.vms.map((vm) => {
    const os = vm.guestOs ? undefined : detected.get(vm.uuid);
    return os ? { ...vm, guestOs: os.name ?? os.family } : vm;
  });
  return { ...result, vms };
}

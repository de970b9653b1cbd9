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
    'vm.list': ({ hypervisorId }) => engine.inventory.listVms(hypervisorId),
  };
}

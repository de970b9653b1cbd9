import type { Channel, RequestOf, ResponseOf } from '../../../shared/contract';
import type { Engine } from '../engine';

export type Handlers = { [C in Channel]: (request: RequestOf<C>) => Promise<ResponseOf<C>> | ResponseOf<C> };

/** Every channel of the contract, implemented by the engine. Transports (IPC, HTTP, CLI) call these. */
export function createHandlers(engine: Engine): Handlers {
  return {
    'app.info': () => engine.info(),
    'hypervisor.list': () => engine.hypervisors.list(),
    'hypervisor.add': async (input) => {
      const added = engine.hypervisors.add(input);
      engine.events.emit('hypervisors.changed', {});
      engine.events.emit('inventory.changed', { hypervisorId: added.id });
      return added;
    },
    'hypervisor.update': (change) => {
      const updated = engine.hypervisors.update(change);
      engine.inventory.forget(updated.id);
      engine.events.emit('hypervisors.changed', {});
      engine.events.emit('inventory.changed', { hypervisorId: updated.id });
      return updated;
    },
    'hypervisor.remove': ({ id }) => {
      engine.hypervisors.remove(id);
      engine.inventory.forget(id);
      engine.events.emit('hypervisors.changed', {});
      engine.events.emit('inventory.changed', {});
      return {};
    },
    'hypervisor.test': (target) => engine.inventory.test(target),
    'vm.list': ({ hypervisorId }) => engine.inventory.listVms(hypervisorId),
  };
}

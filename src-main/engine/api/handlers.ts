import type { Channel, ParsedRequestOf, ResponseOf } from '../../../shared/contract';
import type { Engine } from '../engine';
import { backupSetHandlers } from './backup-set-handlers';
import { catalogHandlers } from './catalog-handlers';
import { hypervisorHandlers } from './hypervisor-handlers';
import { jobHandlers } from './job-handlers';
import { restoreHandlers } from './restore-handlers';
import { vmRestoreHandlers } from './vm-restore-handlers';

export type Handler<C extends Channel> = (
  request: ParsedRequestOf<C>,
) => Promise<ResponseOf<C>> | ResponseOf<C>;
export type Handlers = { [C in Channel]: Handler<C> };
export type HandlerGroup<C extends Channel> = { [K in C]: Handler<K> };

/** Every channel of the contract, implemented by the engine. Transports (IPC, HTTP, CLI) call these. */
export function createHandlers(engine: Engine): Handlers {
  return {
    'app.info': () => engine.info(),
    'notifications.get': () => engine.notifier.settings(),
    'notifications.update': (request) => engine.notifier.update(request),
    'notifications.test': () => engine.notifier.test(),
    ...hypervisorHandlers(engine),
    ...backupSetHandlers(engine),
    ...jobHandlers(engine),
    ...catalogHandlers(engine),
    ...restoreHandlers(engine),
    ...vmRestoreHandlers(engine),
  };
}

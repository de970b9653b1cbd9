import { z } from 'zod';
import { ConnectionTestResult, Hypervisor, HypervisorInput, HypervisorUpdate } from './domain/hypervisor';
import { VirtualMachine } from './domain/vm';
import { ErrorData, type Result } from './errors';

/**
 * The one contract between the console and the engine. Every channel maps a request schema to a
 * response schema; the preload exposes exactly these channels, the HTTP server serves exactly
 * these, and both validate every payload against the schemas below.
 */
const empty = z.object({}).strict();

export const AppInfo = z.object({
  version: z.string(),
  home: z.string(),
  mode: z.enum(['electron', 'serve', 'cli']),
  catalogSchemaVersion: z.number().int(),
  nodeVersion: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const VmListResult = z.object({
  vms: z.array(VirtualMachine),
  /** Hypervisors that could not be asked, with the reason: the list is partial, and says so. */
  errors: z.array(z.object({ hypervisorId: z.string(), hypervisorName: z.string(), error: ErrorData })),
});
export type VmListResult = z.infer<typeof VmListResult>;

export const contract = {
  'app.info': { request: empty, response: AppInfo },
  'hypervisor.list': { request: empty, response: z.array(Hypervisor) },
  'hypervisor.add': { request: HypervisorInput.strict(), response: Hypervisor },
  'hypervisor.update': { request: HypervisorUpdate.strict(), response: Hypervisor },
  'hypervisor.remove': { request: z.object({ id: z.string().min(1) }).strict(), response: empty },
  /** Test either a registered hypervisor (id) or the values typed in the dialog before saving. */
  'hypervisor.test': {
    request: z.union([z.object({ id: z.string().min(1) }).strict(), HypervisorInput.strict()]),
    response: ConnectionTestResult,
  },
  'vm.list': {
    request: z.object({ hypervisorId: z.string().optional() }).strict(),
    response: VmListResult,
  },
} as const;

export type Contract = typeof contract;
export type Channel = keyof Contract;
export type RequestOf<C extends Channel> = z.input<Contract[C]['request']>;
export type ResponseOf<C extends Channel> = z.infer<Contract[C]['response']>;
export const channels = Object.keys(contract) as Channel[];

export function isChannel(name: string): name is Channel {
  return Object.prototype.hasOwnProperty.call(contract, name);
}

/** Events the engine pushes to every console (main → renderer, or over the WebSocket). */
export const events = {
  'inventory.changed': z.object({ hypervisorId: z.string().optional() }),
  'hypervisors.changed': z.object({}),
} as const;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;
export const eventNames = Object.keys(events) as EventName[];

/** The API the preload puts on `window.hyperkeep`: one function per channel, plus `on`. */
export type HyperkeepApi = {
  [C in Channel]: (request: RequestOf<C>) => Promise<Result<ResponseOf<C>>>;
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
};

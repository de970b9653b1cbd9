import type { RequestOf, ResponseOf } from '../../shared/contract';
import type {
  ConnectionTestResult,
  Hypervisor,
  HypervisorInput,
  HypervisorUpdate,
} from '../../shared/domain/hypervisor';
import { invoke } from '../api/client';
import { toApiError, type ApiError } from '../api/api-error';
import type { LoadStatus, SliceCreator } from './types';

export interface HypervisorsSlice {
  hypervisors: Hypervisor[];
  hypervisorsStatus: LoadStatus;
  hypervisorsError: ApiError | null;
  loadHypervisors(): Promise<void>;
  /** The mutations throw ApiError so the dialog can show field errors next to the fields. */
  addHypervisor(input: HypervisorInput): Promise<Hypervisor>;
  updateHypervisor(update: HypervisorUpdate): Promise<Hypervisor>;
  removeHypervisor(id: string): Promise<void>;
  testHypervisor(request: RequestOf<'hypervisor.test'>): Promise<ConnectionTestResult>;
}

let loadSequence = 0;

export const createHypervisorsSlice: SliceCreator<HypervisorsSlice> = (set, get) => ({
  hypervisors: [],
  hypervisorsStatus: 'idle',
  hypervisorsError: null,

  async loadHypervisors() {
    // Only the latest load may write: an older, slower answer must not overwrite a newer list.
    const sequence = ++loadSequence;
    set({ hypervisorsStatus: 'loading' });
    try {
      const hypervisors = await invoke('hypervisor.list', {});
      if (sequence !== loadSequence) return;
      hypervisors.sort((a, b) => a.name.localeCompare(b.name));
      set({ hypervisors, hypervisorsStatus: 'ready', hypervisorsError: null });
    } catch (err) {
      if (sequence !== loadSequence) return;
      set({ hypervisorsStatus: 'error', hypervisorsError: toApiError(err) });
    }
  },

  async addHypervisor(input) {
    const added = await invoke('hypervisor.add', input);
    get().notify('success', `Hypervisor ${added.name} added.`);
    afterChange(get);
    return added;
  },

  async updateHypervisor(update) {
    const updated = await invoke('hypervisor.update', update);
    get().notify('success', `Hypervisor ${updated.name} saved.`);
    afterChange(get);
    return updated;
  },

  async removeHypervisor(id) {
    const name = get().hypervisors.find((h) => h.id === id)?.name ?? 'The hypervisor';
    await invoke('hypervisor.remove', { id });
    get().notify('success', `${name} removed.`);
    afterChange(get);
  },

  testHypervisor(request): Promise<ResponseOf<'hypervisor.test'>> {
    return invoke('hypervisor.test', request);
  },
});

/** The console reloads right away instead of waiting for the engine's change event. */
function afterChange(get: () => HypervisorsSlice & { refreshVms(): Promise<void> }): void {
  void get().loadHypervisors();
  void get().refreshVms();
}

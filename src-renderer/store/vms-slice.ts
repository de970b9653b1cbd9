import type { VmListResult } from '../../shared/contract';
import type { VirtualMachine } from '../../shared/domain/vm';
import { invoke } from '../api/client';
import { toApiError, type ApiError } from '../api/api-error';
import type { LoadStatus, SliceCreator } from './types';

export type VmListError = VmListResult['errors'][number];

export interface VmsSlice {
  vms: VirtualMachine[];
  /** Hypervisors that could not be asked during the last refresh: the list is partial. */
  vmErrors: VmListError[];
  vmsStatus: LoadStatus;
  /** The whole vm.list call failed (engine unreachable…), as opposed to one hypervisor failing. */
  vmsError: ApiError | null;
  vmsRefreshedAt: number | null;
  vmFilter: string;
  setVmFilter(text: string): void;
  /** Row id (see vmRowId) of the VM whose details drawer is open. */
  selectedVmId: string | null;
  selectVm(id: string | null): void;
  refreshVms(): Promise<void>;
}

/** A VM uuid is unique on one hypervisor, not across two registrations of the same host. */
export function vmRowId(vm: Pick<VirtualMachine, 'hypervisorId' | 'uuid'>): string {
  return `${vm.hypervisorId}/${vm.uuid}`;
}

// Asking every hypervisor is slow; bursts of refresh requests (events, clicks) share one call
// and, if anything asked meanwhile, one more afterwards so the result is never stale.
let inFlight: Promise<void> | null = null;
let again = false;

export const createVmsSlice: SliceCreator<VmsSlice> = (set) => {
  async function fetchOnce(): Promise<void> {
    set({ vmsStatus: 'loading' });
    try {
      const result = await invoke('vm.list', {});
      const vms = [...result.vms].sort(
        (a, b) => a.name.localeCompare(b.name) || a.hypervisorName.localeCompare(b.hypervisorName),
      );
      set({
        vms,
        vmErrors: result.errors,
        vmsStatus: 'ready',
        vmsError: null,
        vmsRefreshedAt: Date.now(),
      });
    } catch (err) {
      set({ vmsStatus: 'error', vmsError: toApiError(err) });
    }
  }

  return {
    vms: [],
    vmErrors: [],
    vmsStatus: 'idle',
    vmsError: null,
    vmsRefreshedAt: null,
    vmFilter: '',
    setVmFilter(text) {
      set({ vmFilter: text });
    },
    selectedVmId: null,
    selectVm(id) {
      set({ selectedVmId: id });
    },
    refreshVms() {
      if (inFlight !== null) {
        again = true;
        return inFlight;
      }
      inFlight = (async () => {
        try {
          do {
            again = false;
            await fetchOnce();
          } while (again);
        } finally {
          inFlight = null;
        }
      })();
      return inFlight;
    },
  };
};

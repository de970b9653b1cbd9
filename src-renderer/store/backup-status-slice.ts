import type { VmPointSummary } from '../../shared/contract';
import { invoke, onConnectionStatus, onEvent } from '../api/client';
import { toApiError, type ApiError } from '../api/api-error';
import type { VmBackupFilter } from '../features/vms/backup-status';
import type { LoadStatus, SliceCreator, StoreState } from './types';

export interface BackupStatusSlice {
  /** Per VM with restore points: how many and the newest (points.summary, from the catalog). */
  pointSummaries: VmPointSummary[];
  pointSummariesStatus: LoadStatus;
  pointSummariesError: ApiError | null;
  loadPointSummaries(): Promise<void>;
  /** The VM grid shows only the VMs with (or without) restore points: set from the dashboard. */
  vmBackupFilter: VmBackupFilter;
  setVmBackupFilter(filter: VmBackupFilter): void;
  /** Opens the VM grid on the VMs with (or without) restore points. */
  showVmsByBackup(filter: VmBackupFilter): void;
}

let sequence = 0;

export const createBackupStatusSlice: SliceCreator<BackupStatusSlice> = (set, get) => ({
  pointSummaries: [],
  pointSummariesStatus: 'idle',
  pointSummariesError: null,
  async loadPointSummaries() {
    const mine = ++sequence;
    set({ pointSummariesStatus: 'loading' });
    try {
      const pointSummaries = await invoke('points.summary', {});
      if (mine !== sequence) return;
      set({ pointSummaries, pointSummariesStatus: 'ready', pointSummariesError: null });
    } catch (err) {
      if (mine !== sequence) return;
      set({ pointSummariesStatus: 'error', pointSummariesError: toApiError(err) });
    }
  },
  vmBackupFilter: 'all',
  setVmBackupFilter(filter) {
    set({ vmBackupFilter: filter });
  },
  showVmsByBackup(filter) {
    set({ vmBackupFilter: filter, vmFilter: '' });
    get().navigate('vms');
  },
});

/**
 * A backup that records a point, a prune or an attach changes the summaries (points.changed);
 * after a dropped event connection they are read again. Only once a page asked for them.
 */
export function subscribeBackupStatusEvents(getState: () => StoreState): (() => void)[] {
  let wasConnected = true;
  const reload = () => {
    if (getState().pointSummariesStatus !== 'idle') void getState().loadPointSummaries();
  };
  return [
    onEvent('points.changed', reload),
    onConnectionStatus((status) => {
      const connected = status.state === 'connected';
      if (connected && !wasConnected) reload();
      wasConnected = connected;
    }),
  ];
}

import { create } from 'zustand';
import { onConnectionStatus, onEvent } from '../api/client';
import { createAppSlice } from './app-slice';
import { createBackupSetsSlice } from './backup-sets-slice';
import { createBackupStatusSlice, subscribeBackupStatusEvents } from './backup-status-slice';
import { createHypervisorsSlice } from './hypervisors-slice';
import { createJobsSlice, subscribeJobEvents } from './jobs-slice';
import { createRestoreSlice } from './restore-slice';
import { createStorageSlice, subscribeStorageEvents } from './storage-slice';
import type { StoreState } from './types';
import { createUiSlice } from './ui-slice';
import { createVmsSlice } from './vms-slice';

export type { StoreState, LoadStatus } from './types';
export type { Route } from './routes';

export const useStore = create<StoreState>()((...args) => ({
  ...createAppSlice(...args),
  ...createHypervisorsSlice(...args),
  ...createVmsSlice(...args),
  ...createBackupSetsSlice(...args),
  ...createJobsSlice(...args),
  ...createStorageSlice(...args),
  ...createRestoreSlice(...args),
  ...createUiSlice(...args),
  ...createBackupStatusSlice(...args),
}));

/**
 * Keeps the store in step with the engine: reload on its change events, and after a dropped
 * event connection comes back (events sent meanwhile are lost). Returns the unsubscribe.
 */
export function connectStoreToEngine(): () => void {
  let wasConnected = false;
  let seenConnected = false;
  const reloadAll = () => {
    const state = useStore.getState();
    void state.loadHypervisors();
    void state.refreshVms();
    void state.loadAppInfo();
    if (state.backupSetsStatus !== 'idle') state.backupSetsChanged(undefined);
  };
  const unsubscribers = [
    ...subscribeJobEvents(useStore.getState),
    ...subscribeStorageEvents(useStore.getState),
    ...subscribeBackupStatusEvents(useStore.getState),
    onEvent('hypervisors.changed', () => {
      void useStore.getState().loadHypervisors();
      void useStore.getState().refreshVms();
    }),
    onEvent('inventory.changed', () => {
      void useStore.getState().refreshVms();
      // VMs came or went: the backup sets' counts may be stale (only once the page was opened).
      if (useStore.getState().backupSetsStatus !== 'idle')
        void useStore.getState().loadBackupSets();
    }),
    onEvent('backupSets.changed', ({ backupSetId }) => {
      useStore.getState().backupSetsChanged(backupSetId);
    }),
    onConnectionStatus((status) => {
      const state = useStore.getState();
      state.setConnection(status);
      const connected = status.state === 'connected';
      // Back after a drop, or reachable at last after the first loads failed: the data is stale.
      const loadsFailed = [state.hypervisorsStatus, state.vmsStatus, state.appInfoStatus].includes(
        'error',
      );
      if (connected && !wasConnected && (seenConnected || loadsFailed)) reloadAll();
      wasConnected = connected;
      seenConnected ||= connected;
    }),
  ];
  return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
}

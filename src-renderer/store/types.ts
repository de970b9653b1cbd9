import type { StateCreator } from 'zustand';
import type { AppSlice } from './app-slice';
import type { BackupStatusSlice } from './backup-status-slice';
import type { BackupSetsSlice } from './backup-sets-slice';
import type { HypervisorsSlice } from './hypervisors-slice';
import type { JobsSlice } from './jobs-slice';
import type { RestoreSlice } from './restore-slice';
import type { StorageSlice } from './storage-slice';
import type { UiSlice } from './ui-slice';
import type { VmsSlice } from './vms-slice';

export type StoreState = AppSlice &
  HypervisorsSlice &
  VmsSlice &
  BackupSetsSlice &
  JobsSlice &
  StorageSlice &
  RestoreSlice &
  UiSlice &
  BackupStatusSlice;

export type SliceCreator<T> = StateCreator<StoreState, [], [], T>;

/** Where a list stands: shown as a progress bar, the data, or the error that stopped it. */
export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

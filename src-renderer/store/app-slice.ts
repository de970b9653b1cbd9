import type { AppInfo } from '../../shared/contract';
import { invoke } from '../api/client';
import { toApiError, type ApiError } from '../api/api-error';
import type { LoadStatus, SliceCreator } from './types';

export interface AppSlice {
  appInfo: AppInfo | null;
  appInfoStatus: LoadStatus;
  appInfoError: ApiError | null;
  loadAppInfo(): Promise<void>;
}

export const createAppSlice: SliceCreator<AppSlice> = (set) => ({
  appInfo: null,
  appInfoStatus: 'idle',
  appInfoError: null,
  async loadAppInfo() {
    set({ appInfoStatus: 'loading' });
    try {
      const appInfo = await invoke('app.info', {});
      set({ appInfo, appInfoStatus: 'ready', appInfoError: null });
    } catch (err) {
      set({ appInfoStatus: 'error', appInfoError: toApiError(err) });
    }
  },
});

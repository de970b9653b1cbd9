import type { RequestOf } from '../../shared/contract';
import type { Job } from '../../shared/domain/jobs';
import { invoke } from '../api/client';
import type { SliceCreator } from './types';

/** FIG. 11 "Type of intended restore". */
export type RestoreIntent = 'files' | 'volume' | 'vm';

/** FIG. 11 Browse options, as confirmed with OK. */
export interface BrowseOptions {
  intent: RestoreIntent;
  /** undefined: the latest data; else the moment (ISO 8601 with offset) data must predate */
  at: string | undefined;
  /** the zone the moment was typed in, to show it back the same way */
  timeZone: string;
}

export interface RestoreTarget {
  vmUuid: string;
  vmName: string;
}

export type RestoreChannel =
  | 'restore.files'
  | 'restore.volume'
  | 'restore.volumeToDevice'
  | 'restore.disk'
  | 'restore.diskToPool'
  | 'restore.vm'
  /** A recovery test: a VM restore booted, checked and removed again. */
  | 'restore.test';

/**
 * Where the Restore page stands (kept in the store so a trip to the Jobs page and back does not
 * lose the browse), and the restores started from it, followed live on the page.
 */
export interface RestoreSlice {
  restoreTarget: RestoreTarget | null;
  browseOptions: BrowseOptions | null;
  /** The point being browsed; null until the options resolve to one. */
  restorePointId: string | null;
  /** Opens the Restore page on a VM: the Browse options come first unless a point is given. */
  openRestore(target: RestoreTarget, pointId?: string): void;
  /** Back to the VM list. */
  closeRestoreTarget(): void;
  setBrowseOptions(options: BrowseOptions | null): void;
  setRestorePoint(pointId: string | null): void;
  /** Jobs started on the Restore page, newest first. */
  restoreJobIds: string[];
  dismissRestoreJob(jobId: string): void;
  /** Submits a restore; throws ApiError so the dialog shows it next to its fields. */
  startRestore<C extends RestoreChannel>(channel: C, request: RequestOf<C>): Promise<Job>;
}

export const createRestoreSlice: SliceCreator<RestoreSlice> = (set, get) => ({
  restoreTarget: null,
  browseOptions: null,
  restorePointId: null,
  openRestore(target, pointId) {
    set({
      restoreTarget: target,
      restorePointId: pointId ?? null,
      browseOptions:
        pointId === undefined
          ? null
          : { intent: 'files', at: undefined, timeZone: get().browseOptions?.timeZone ?? 'UTC' },
    });
    get().navigate('restore');
  },
  closeRestoreTarget() {
    set({ restoreTarget: null, browseOptions: null, restorePointId: null });
  },
  setBrowseOptions(options) {
    set({ browseOptions: options, restorePointId: null });
  },
  setRestorePoint(pointId) {
    set({ restorePointId: pointId });
  },
  restoreJobIds: [],
  dismissRestoreJob(jobId) {
    set((state) => ({ restoreJobIds: state.restoreJobIds.filter((id) => id !== jobId) }));
  },
  async startRestore(channel, request) {
    // The union of channels defeats the per-channel overloads of invoke; the request type above
    // already matches the channel.
    const job = await (invoke as (c: RestoreChannel, r: unknown) => Promise<Job>)(channel, request);
    get().jobUpdated(job);
    get().rememberVmJob(request.vm, job.id);
    set((state) => ({
      restoreJobIds: [job.id, ...state.restoreJobIds.filter((id) => id !== job.id)],
    }));
    return job;
  },
});

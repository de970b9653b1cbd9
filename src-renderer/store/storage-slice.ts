import type { RequestOf } from '../../shared/contract';
import type { Job, RepositoryInfo, RestorePoint } from '../../shared/domain/jobs';
import { invoke, onEvent } from '../api/client';
import { toApiError, type ApiError } from '../api/api-error';
import type { LoadStatus, SliceCreator, StoreState } from './types';

/** Restore points of one VM, as last read (points.list, newest first). */
export interface VmPoints {
  points: RestorePoint[];
  status: LoadStatus;
  error: ApiError | null;
}

export interface StorageSlice {
  repositories: RepositoryInfo[];
  repositoriesStatus: LoadStatus;
  repositoriesError: ApiError | null;
  loadRepositories(): Promise<void>;
  /** The mutations throw ApiError so the dialogs can show field errors next to the fields. */
  initRepository(request: RequestOf<'repo.init'>): Promise<RepositoryInfo>;
  attachRepository(request: RequestOf<'repo.attach'>): Promise<RepositoryInfo>;
  /**
   * Re-wraps an encrypted repository's keys under `next`; `current` proves the person may (the
   * stored copy does not). A wrong `current` is AUTH_FAILED naming the field `current`.
   */
  changeRepositoryPassphrase(name: string, current: string, next: string): Promise<RepositoryInfo>;
  /** Unregisters a repository here; its folder and points stay on disk. */
  removeRepository(name: string): Promise<void>;
  verifyRepository(name: string, readData: boolean): Promise<Job>;
  pruneRepository(name: string, dryRun: boolean): Promise<Job>;
  /**
   * Deletes chosen restore points of one VM from one repository (a prune-kind job, followed in
   * the VM's drawer); throws ApiError, e.g. NOT_FOUND for a point another console deleted.
   */
  deletePoints(vmUuid: string, repository: string, ids: string[]): Promise<Job>;
  /**
   * Protects a point (its subclient's retention keeps it and deleting it is refused) or lifts
   * the protection; the point's row shows the change at once. Throw ApiError.
   */
  protectPoint(point: RestorePoint, reason: string): Promise<RestorePoint>;
  unprotectPoint(point: RestorePoint): Promise<RestorePoint>;
  /** Keyed by VM UUID; only VMs someone looked at are kept current. */
  pointsByVm: Record<string, VmPoints>;
  loadPoints(vmUuid: string): Promise<void>;
}

let repositoriesSequence = 0;
const pointsSequence = new Map<string, number>();

export const createStorageSlice: SliceCreator<StorageSlice> = (set, get) => ({
  repositories: [],
  repositoriesStatus: 'idle',
  repositoriesError: null,

  async loadRepositories() {
    const sequence = ++repositoriesSequence;
    set({ repositoriesStatus: 'loading' });
    try {
      const repositories = await invoke('repo.list', {});
      if (sequence !== repositoriesSequence) return;
      repositories.sort((a, b) => a.name.localeCompare(b.name));
      set({ repositories, repositoriesStatus: 'ready', repositoriesError: null });
    } catch (err) {
      if (sequence !== repositoriesSequence) return;
      set({ repositoriesStatus: 'error', repositoriesError: toApiError(err) });
    }
  },

  async initRepository(request) {
    const created = await invoke('repo.init', request);
    get().notify('success', `Repository ${created.name} created in ${created.location}.`);
    void get().loadRepositories();
    return created;
  },

  async attachRepository(request) {
    const attached = await invoke('repo.attach', request);
    get().notify(
      'success',
      `Repository ${attached.name} attached: ${attached.points} restore point${attached.points === 1 ? '' : 's'} found.`,
    );
    void get().loadRepositories();
    return attached;
  },

  async changeRepositoryPassphrase(name, current, next) {
    const changed = await invoke('repo.changePassphrase', { name, current, next });
    get().notify(
      'success',
      `Passphrase of repository ${changed.name} changed. This console keeps the new one for its scheduled backups; other consoles that attached ${changed.name} must attach it again with the new passphrase.`,
    );
    void get().loadRepositories();
    return changed;
  },

  async removeRepository(name) {
    const removed = await invoke('repo.remove', { name });
    get().notify(
      'success',
      `Repository ${removed.name} removed from this console. Its data is still in ${removed.location}.`,
    );
    void get().loadRepositories();
  },

  async verifyRepository(name, readData) {
    const job = await invoke('repo.verify', { name, readData });
    get().jobUpdated(job);
    return job;
  },

  async pruneRepository(name, dryRun) {
    const job = await invoke('repo.prune', { name, dryRun });
    get().jobUpdated(job);
    return job;
  },

  async deletePoints(vmUuid, repository, ids) {
    const job = await invoke('points.delete', { repository, ids });
    get().jobUpdated(job);
    get().rememberVmJob(vmUuid, job.id);
    return job;
  },

  async protectPoint(point, reason) {
    const updated = await invoke('points.protect', {
      repository: point.repository,
      id: point.id,
      reason,
    });
    set((state) => replacePoint(state.pointsByVm, updated));
    return updated;
  },

  async unprotectPoint(point) {
    const updated = await invoke('points.unprotect', {
      repository: point.repository,
      id: point.id,
    });
    set((state) => replacePoint(state.pointsByVm, updated));
    return updated;
  },

  pointsByVm: {},
  async loadPoints(vmUuid) {
    const sequence = (pointsSequence.get(vmUuid) ?? 0) + 1;
    pointsSequence.set(vmUuid, sequence);
    set((state) => ({
      pointsByVm: {
        ...state.pointsByVm,
        [vmUuid]: {
          points: state.pointsByVm[vmUuid]?.points ?? [],
          status: 'loading',
          error: null,
        },
      },
    }));
    try {
      const points = await invoke('points.list', { vm: vmUuid });
      if (pointsSequence.get(vmUuid) !== sequence) return;
      set((state) => ({
        pointsByVm: { ...state.pointsByVm, [vmUuid]: { points, status: 'ready', error: null } },
      }));
    } catch (err) {
      if (pointsSequence.get(vmUuid) !== sequence) return;
      set((state) => ({
        pointsByVm: {
          ...state.pointsByVm,
          [vmUuid]: {
            points: state.pointsByVm[vmUuid]?.points ?? [],
            status: 'error',
            error: toApiError(err),
          },
        },
      }));
    }
  },
});

/**
 * The VM's list with `updated` in place of the point it was: shown before points.changed reloads
 * the list, which follows. A VM nobody looked at has no list to change.
 */
function replacePoint(
  pointsByVm: Record<string, VmPoints>,
  updated: RestorePoint,
): Pick<StorageSlice, 'pointsByVm'> | Record<string, never> {
  const entry = pointsByVm[updated.vmUuid];
  if (entry === undefined) return {};
  const points = entry.points.map((p) =>
    p.id === updated.id && p.repository === updated.repository ? updated : p,
  );
  return { pointsByVm: { ...pointsByVm, [updated.vmUuid]: { ...entry, points } } };
}

/**
 * Restore points and repository sizes change when a backup, a prune or an attach ends: reload
 * what was already shown (points.changed names the VM when it can; otherwise every VM shown).
 */
export function subscribeStorageEvents(getState: () => StoreState): (() => void)[] {
  const reloadRepositories = () => {
    if (getState().repositoriesStatus !== 'idle') void getState().loadRepositories();
  };
  return [
    // A repository created, attached or removed elsewhere (the CLI, another console window).
    onEvent('repositories.changed', reloadRepositories),
    onEvent('points.changed', ({ vmUuid }) => {
      const shown = Object.keys(getState().pointsByVm);
      for (const uuid of shown)
        if (vmUuid === undefined || vmUuid === uuid) void getState().loadPoints(uuid);
      reloadRepositories();
    }),
    onEvent('job.changed', ({ job }) => {
      if (job.status !== 'running' && job.status !== 'queued' && job.kind !== 'restore')
        reloadRepositories();
    }),
  ];
}

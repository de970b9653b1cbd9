import type { Engine } from '../engine';
import { startRestoreDiskJob } from '../jobs/restore-disk-job';
import { startRestoreFilesJob } from '../jobs/restore-files-job';
import { startRestoreFilesToGuestJob } from '../jobs/restore-files-guest-job';
import { startRestoreVolumeJob, startRestoreVolumeToDeviceJob } from '../jobs/restore-volume-job';
import { guestAgentStatus } from '../restore/guest/guest-target';
import type { HandlerGroup } from './handlers';

type RestoreChannel =
  | 'restore.files'
  | 'vm.guestAgentStatus'
  | 'restore.volume'
  | 'restore.volumeToDevice'
  | 'restore.disk';

/** File, volume and virtual disk restores (FIG. 12–14B): each starts a job. */
export function restoreHandlers(engine: Engine): HandlerGroup<RestoreChannel> {
  return {
    'restore.files': (request) =>
      request.destination === 'guest'
        ? startRestoreFilesToGuestJob(engine, request)
        : startRestoreFilesJob(engine, request),
    'vm.guestAgentStatus': ({ vm }) => guestAgentStatus(engine, vm),
    'restore.volume': (request) => startRestoreVolumeJob(engine, request),
    'restore.volumeToDevice': (request) => startRestoreVolumeToDeviceJob(engine, request),
    'restore.disk': (request) => startRestoreDiskJob(engine, request),
  };
}

import type { Engine } from '../engine';
import { startRestoreDiskJob } from '../jobs/restore-disk-job';
import { startRestoreFilesJob } from '../jobs/restore-files-job';
import { startRestoreVolumeJob, startRestoreVolumeToDeviceJob } from '../jobs/restore-volume-job';
import type { HandlerGroup } from './handlers';

type RestoreChannel =
  'restore.files' | 'restore.volume' | 'restore.volumeToDevice' | 'restore.disk';

/** File, volume and virtual disk restores (FIG. 12–14B): each starts a job. */
export function restoreHandlers(engine: Engine): HandlerGroup<RestoreChannel> {
  return {
    'restore.files': (request) => startRestoreFilesJob(engine, request),
    'restore.volume': (request) => startRestoreVolumeJob(engine, request),
    'restore.volumeToDevice': (request) => startRestoreVolumeToDeviceJob(engine, request),
    'restore.disk': (request) => startRestoreDiskJob(engine, request),
  };
}

/**
 * The subclient settings the engine accepts, and how stored ones are read. Every setting offered
 * must be one the engine applies: a copy type, a proxy or a cipher it would silently ignore is
 * refused here instead of being saved and shown back as if it worked.
 */
import { SubclientSettings } from '../../../shared/domain/backup-set';
import { HyperkeepError } from '../../../shared/errors';
import { dailyCron, describeWindow, windowState } from './backup-window';
import { nextRuns } from './schedule';

/** The only proxy: this engine reads the VMs' disks itself. */
export const LOCAL_PROXY = 'local';

const COPY_LEVEL_NAMES: Record<SubclientSettings['copyLevel'], string> = {
  disk: 'disk level',
  volume: 'volume level',
  file: 'file level',
};

/**
 * Settings read back from the catalog. Rows saved by earlier versions may say 'file' or 'volume'
 * level, or name another proxy: those backups were always disk-level copies read by this engine,
 * so they are shown as what they were instead of failing to load.
 */
export function readStoredSettings(json: string): SubclientSettings {
  const settings = SubclientSettings.parse(JSON.parse(json));
  return { ...settings, copyLevel: 'disk', proxy: LOCAL_PROXY };
}

/** A proxy other than this engine names nothing that could read the disks. */
export function assertLocalProxy(proxy: string, field: string): void {
  if (proxy.trim() === LOCAL_PROXY) return;
  throw new HyperkeepError(
    'INVALID_INPUT',
    `There is no proxy "${proxy}": this engine reads the VMs' disks itself, so the proxy is always "${LOCAL_PROXY}".`,
    { field },
  );
}

/** Runs of a schedule looked at: years of a monthly cron, minutes of an every-second one. */
const RUNS_CHECKED = 500;

/**
 * A scheduled run outside the backup window is not started, and only logged (an hourly schedule
 * with a night window means "hourly at night"). So a schedule none of whose runs falls in the
 * window would never back anything up, and say so nowhere: it is refused when saved.
 */
function assertScheduleMeetsWindow(settings: SubclientSettings): void {
  const { schedule } = settings;
  const { window } = settings.activity;
  for (const kind of ['full', 'incremental'] as const) {
    const runs = nextRuns(
      schedule[kind],
      schedule.timezone,
      RUNS_CHECKED,
      `settings.schedule.${kind}`,
    );
    // Judged just after each run's instant, when the scheduler's timer has fired.
    const inside = runs.some(
      (run) => windowState(window, schedule.timezone, new Date(Date.parse(run) + 1)).open,
    );
    if (!inside)
      throw new HyperkeepError(
        'INVALID_INPUT',
        `None of the next runs of the ${kind} backup schedule "${schedule[kind]}" falls in the backup window ${describeWindow(window, schedule.timezone)}: they would never start. Move the schedule into the window, or widen the window.`,
        { field: 'settings.activity.window.start' },
      );
  }
}

/** Refuses what the engine would not apply, naming the field (settings.…) at fault. */
export function validateSettings(settings: SubclientSettings): void {
  if (settings.copyLevel !== 'disk') {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `Copy type "${COPY_LEVEL_NAMES[settings.copyLevel]}" is not available: Hyperkeep copies whole disks, and a disk-level backup already restores single files and whole volumes (every file is cataloged at backup time). Choose disk level.`,
      { field: 'settings.copyLevel' },
    );
  }
  assertLocalProxy(settings.proxy, 'settings.proxy');
  if (settings.schedule.enabled || settings.schedule.full || settings.schedule.incremental) {
    nextRuns(
      settings.schedule.full,
      settings.schedule.timezone,
      1,
      'settings.schedule.full',
      'settings.schedule.timezone',
    );
    nextRuns(
      settings.schedule.incremental,
      settings.schedule.timezone,
      1,
      'settings.schedule.incremental',
      'settings.schedule.timezone',
    );
  }
  const { window } = settings.activity;
  if (window.enabled) {
    nextRuns(
      dailyCron(window.start),
      settings.schedule.timezone,
      1,
      'settings.activity.window.start',
      'settings.schedule.timezone',
    );
    if (settings.schedule.enabled) assertScheduleMeetsWindow(settings);
  }
  if (settings.recoveryTest.enabled)
    nextRuns(
      settings.recoveryTest.cron,
      settings.schedule.timezone,
      1,
      'settings.recoveryTest.cron',
      'settings.schedule.timezone',
    );
}

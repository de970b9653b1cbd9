import type { SubclientSettings } from '../../../shared/domain/backup-set';
import { HyperkeepError } from '../../../shared/errors';
import { describeWindow, windowState } from '../backup-sets/backup-window';
import type { Engine } from '../engine';

/**
 * The subclient's backup window, for a scheduled job (Veeam's "allowed backup window",
 * Commvault's operation windows): it may not start outside the window, and is stopped where it
 * stands when the window closes, so backups never run into business hours. Points already
 * committed stay; VMs not yet done end cancelled with the reason. Backups started by hand are
 * not held to it: an administrator who asks for one now means now.
 */
export function guardBackupWindow(
  settings: SubclientSettings,
  label: string,
): ((engine: Engine, jobId: string) => void) | null {
  const { window } = settings.activity;
  if (!window.enabled) return null;
  const timezone = settings.schedule.timezone;
  const state = windowState(window, timezone);
  const described = describeWindow(window, timezone);
  if (!state.open)
    throw new HyperkeepError(
      'INVALID_INPUT',
      `${label} is outside its backup window ${described}: it starts at ${state.opensAt.toISOString()} at the earliest.`,
      { reason: 'OUTSIDE_BACKUP_WINDOW' },
    );
  return (engine, jobId) => {
    const timer = setTimeout(() => {
      if (!engine.jobs.isRunning(jobId)) return;
      engine.jobs.cancel(
        jobId,
        new HyperkeepError(
          'CANCELLED',
          `The backup window ${described} closed: stopped where it stood (committed points are kept).`,
        ),
      );
    }, state.closesAt.getTime() - Date.now());
    timer.unref();
    void engine.jobs.wait(jobId).finally(() => clearTimeout(timer));
  };
}

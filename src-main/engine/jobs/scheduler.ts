import { Cron } from 'croner';
import { toErrorData } from '../../../shared/errors';
import type { Engine } from '../engine';
import { backupSubclient } from './backup-job';
import { startVerifyJob } from './maintenance-jobs';
import { startSubclientRecoveryTests } from '../restore/vm/recovery-test-job';

/**
 * Runs subclient schedules and repository verification schedules while a long-lived engine (the
 * app or `serve`) is up. Rebuilt whenever backup sets or repositories change. When the full and
 * the incremental schedule fire in the same minute, the full one wins.
 */
export class Scheduler {
  private timers: Cron[] = [];
  private readonly unsubscribe: () => void;
  private readonly recentFull = new Map<string, number>();
  /** The last scheduled verify job of each repository. */
  private readonly lastVerify = new Map<string, string>();
  /** The last scheduled backup job of each subclient. */
  private readonly lastBackup = new Map<string, string>();

  constructor(
    private readonly engine: Engine,
    private readonly log: (line: string) => void,
  ) {
    this.unsubscribe = engine.events.onAny((event) => {
      if (event === 'backupSets.changed' || event === 'repositories.changed') this.rebuild();
    });
    this.rebuild();
  }

  rebuild(): void {
    this.stopTimers();
    const skipped = (repository: string, why: string) =>
      this.log(`verify schedule of ${repository} not used: ${why}`);
    for (const verify of this.engine.verifySchedules.enabled(skipped)) {
      this.timers.push(
        new Cron(verify.cron, { timezone: verify.timezone, protect: true }, () =>
          this.verify(verify.repository, verify.readData),
        ),
      );
    }
    for (const set of this.engine.backupSets.list()) {
      for (const subclient of set.subclients) {
        const { schedule, recoveryTest } = subclient.settings;
        if (schedule.enabled) {
          const fire = (full: boolean) => () => void this.run(set.id, subclient.id, full);
          const options = { timezone: schedule.timezone, protect: true };
          this.timers.push(new Cron(schedule.full, options, fire(true)));
          this.timers.push(new Cron(schedule.incremental, options, fire(false)));
        }
        if (!recoveryTest.enabled) continue;
        const test = () => void this.recoveryTests(set.id, subclient.id);
        try {
          this.timers.push(
            new Cron(recoveryTest.cron, { timezone: schedule.timezone, protect: true }, test),
          );
        } catch (err) {
          this.log(
            `recovery test schedule of ${set.name} / ${subclient.name} not used: ${toErrorData(err).message}`,
          );
        }
      }
    }
  }

  private async run(backupSetId: string, subclientId: string, full: boolean): Promise<void> {
    const now = Date.now();
    if (!full && now - (this.recentFull.get(subclientId) ?? 0) < 60_000) return;
    if (full) this.recentFull.set(subclientId, now);
    const kind = full ? 'full' : 'incremental';
    // A job still backing up (or waiting to retry) its VMs: a second one would ask libvirt
    // for a backup of a VM that already has one. Skipped, and said, as a missed run.
    const previous = this.lastBackup.get(subclientId);
    if (previous !== undefined && this.engine.jobs.isRunning(previous)) {
      const why = `the previous scheduled job (${previous}) still runs`;
      this.log(`scheduled ${kind} backup skipped: ${why}`);
      this.engine.notifier.problem(
        `The scheduled ${kind} backup of ${this.subclientLabel(backupSetId, subclientId)}`,
        `Skipped: ${why}.`,
      );
      return;
    }
    try {
      const job = await backupSubclient(this.engine, backupSetId, subclientId, full, true);
      this.lastBackup.set(subclientId, job.id);
      this.log(
        `scheduled ${full ? 'full' : 'incremental'} backup started: job ${job.id} (${job.title})`,
      );
    } catch (err) {
      const error = toErrorData(err);
      const why = error.message;
      // An hourly schedule with a night window: the day's runs are meant not to start.
      if (error.details?.['reason'] === 'OUTSIDE_BACKUP_WINDOW') {
        this.log(`scheduled ${kind} backup not started: ${why}`);
        return;
      }
      this.log(`scheduled backup could not start: ${why}`);
      this.engine.notifier.problem(
        `The scheduled ${full ? 'full' : 'incremental'} backup of ${this.subclientLabel(backupSetId, subclientId)}`,
        why,
      );
    }
  }

  private async recoveryTests(backupSetId: string, subclientId: string): Promise<void> {
    const label = this.subclientLabel(backupSetId, subclientId);
    try {
      const { started, skipped } = await startSubclientRecoveryTests(
        this.engine,
        backupSetId,
        subclientId,
      );
      for (const job of started)
        this.log(`scheduled recovery test started: job ${job.id} (${job.title})`);
      for (const why of skipped) this.log(`scheduled recovery test of ${label} left out ${why}`);
      if (skipped.length > 0)
        this.engine.notifier.problem(`Scheduled recovery tests of ${label}`, skipped.join('\n'));
    } catch (err) {
      const why = toErrorData(err).message;
      this.log(`scheduled recovery tests of ${label} could not start: ${why}`);
      this.engine.notifier.problem(`The scheduled recovery tests of ${label}`, why);
    }
  }

  /** "nightly / web", or the ids when the backup set is gone. */
  private subclientLabel(backupSetId: string, subclientId: string): string {
    try {
      const set = this.engine.backupSets.get(backupSetId);
      const subclient = set.subclients.find((s) => s.id === subclientId);
      return `${set.name} / ${subclient?.name ?? subclientId}`;
    } catch {
      return `subclient ${subclientId}`;
    }
  }

  private verify(repository: string, readData: boolean): void {
    // A read-all-data verify of a big repository may outlast its interval: one at a time.
    const previous = this.lastVerify.get(repository);
    if (previous !== undefined && this.engine.jobs.isRunning(previous)) {
      this.log(`scheduled verify of ${repository} skipped: the previous one still runs`);
      return;
    }
    try {
      const job = startVerifyJob(this.engine, repository, readData, true);
      this.lastVerify.set(repository, job.id);
      this.log(`scheduled verify started: job ${job.id} (${job.title})`);
    } catch (err) {
      const why = toErrorData(err).message;
      this.log(`scheduled verify of ${repository} could not start: ${why}`);
      this.engine.notifier.problem(`The scheduled verify of ${repository}`, why);
    }
  }

  private stopTimers(): void {
    for (const timer of this.timers) timer.stop();
    this.timers = [];
  }

  stop(): void {
    this.unsubscribe();
    this.stopTimers();
  }
}

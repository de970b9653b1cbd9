import { Cron } from 'croner';
import { toErrorData } from '../../../shared/errors';
import type { Engine } from '../engine';
import { backupSubclient } from './backup-job';

/**
 * Runs subclient schedules while a long-lived engine (the app or `serve`) is up. Rebuilt whenever
 * backup sets change. When the full and the incremental schedule fire in the same minute, the
 * full one wins.
 */
export class Scheduler {
  private timers: Cron[] = [];
  private readonly unsubscribe: () => void;
  private readonly recentFull = new Map<string, number>();

  constructor(
    private readonly engine: Engine,
    private readonly log: (line: string) => void,
  ) {
    this.unsubscribe = engine.events.onAny((event) => {
      if (event === 'backupSets.changed') this.rebuild();
    });
    this.rebuild();
  }

  rebuild(): void {
    this.stopTimers();
    for (const set of this.engine.backupSets.list()) {
      for (const subclient of set.subclients) {
        const { schedule } = subclient.settings;
        if (!schedule.enabled) continue;
        const fire = (full: boolean) => () => void this.run(set.id, subclient.id, full);
        this.timers.push(
          new Cron(schedule.full, { timezone: schedule.timezone, protect: true }, fire(true)),
        );
        this.timers.push(
          new Cron(
            schedule.incremental,
            { timezone: schedule.timezone, protect: true },
            fire(false),
          ),
        );
      }
    }
  }

  private async run(backupSetId: string, subclientId: string, full: boolean): Promise<void> {
    const now = Date.now();
    if (!full && now - (this.recentFull.get(subclientId) ?? 0) < 60_000) return;
    if (full) this.recentFull.set(subclientId, now);
    try {
      const job = await backupSubclient(this.engine, backupSetId, subclientId, full, true);
      this.log(
        `scheduled ${full ? 'full' : 'incremental'} backup started: job ${job.id} (${job.title})`,
      );
    } catch (err) {
      this.log(`scheduled backup could not start: ${toErrorData(err).message}`);
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

import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Job, JobKind, JobStatus, JobTask } from '../../../shared/domain/jobs';
import { HyperkeepError, toErrorData, type ErrorCode } from '../../../shared/errors';
import type { CatalogDb } from '../catalog/catalog';
import type { EngineEvents } from '../engine-events';
import { ProgressMeter } from './progress-meter';

/** What a running job can do: report progress per task, log, warn, and notice cancellation. */
export interface JobContext {
  readonly id: string;
  readonly signal: AbortSignal;
  log(line: string): void;
  warn(line: string): void;
  phase(phase: string): void;
  /**
   * A row of the job. With `waiting`, the row exists before its work can begin (a VM waiting for
   * a free slot on its host): queued, with that phase and no size, until `start()`.
   */
  task(key: string, label: string, options?: { waiting?: string }): TaskHandle;
}

export interface TaskHandle {
  /** A waiting task begins: running, "starting", its size still unknown. */
  start(): void;
  progress(update: {
    phase?: string;
    bytesDone?: number;
    bytesTotal?: number;
    message?: string;
  }): void;
  finish(status: JobStatus, message?: string, errorCode?: ErrorCode): void;
  /**
   * Ends the row with `err`: failed, or, once the job was cancelled, cancelled with the reason
   * ("Cancelled by the administrator.") rather than the step the cancellation cut short.
   */
  fail(err: unknown): void;
  /**
   * Puts a row whose attempt failed back to waiting (queued, unsized, `waiting` as its phase,
   * `message` saying why) for another attempt, which begins with `start()`.
   */
  requeue(waiting: string, message: string): void;
}

/**
 * The job's bytes are its tasks' bytes. While a task still runs without a size (a VM "starting",
 * its disks not planned yet, or waiting for a free slot) the job's total is not known: it is
 * reported as 0, so no percentage or ETA is shown, rather than a total that would read 100 %
 * while that VM has not begun.
 */
function sumTasks(job: Job): void {
  job.bytesDone = job.tasks.reduce((s, t) => s + t.bytesDone, 0);
  const unsized = job.tasks.some(
    (t) => (t.status === 'running' || t.status === 'queued') && t.bytesTotal === 0,
  );
  job.bytesTotal = unsized ? 0 : job.tasks.reduce((s, t) => s + t.bytesTotal, 0);
}

const EMIT_INTERVAL_MS = 250;
const PERSIST_INTERVAL_MS = 2_000;

/**
 * The job controller of FIG. 10/12: every long operation is a job with live progress (bytes,
 * rate, ETA, phase per task), a readable log in <home>/logs/jobs/<id>.log, cancellation through an
 * AbortSignal, and a history in the catalog.
 */
export class JobController {
  private readonly running = new Map<
    string,
    {
      job: Job;
      controller: AbortController;
      meters: Map<string, ProgressMeter>;
      done: Promise<void>;
    }
  >();
  private readonly logDir: string;

  constructor(
    private readonly db: CatalogDb,
    private readonly events: EngineEvents,
    home: string,
  ) {
    this.logDir = join(home, 'logs', 'jobs');
    mkdirSync(this.logDir, { recursive: true });
    // A job the previous engine left running died with it: say so instead of showing it forever running.
    const stale = this.db
      .prepare("SELECT snapshot_json FROM jobs WHERE status IN ('queued', 'running')")
      .all() as { snapshot_json: string }[];
    for (const { snapshot_json } of stale) {
      const job = JSON.parse(snapshot_json) as Job;
      this.persist({
        ...job,
        status: 'failed',
        finishedAt: new Date().toISOString(),
        error: { code: 'INTERNAL', message: 'The engine stopped while this job ran.' },
      });
    }
  }

  start(kind: Job['kind'], title: string, work: (ctx: JobContext) => Promise<unknown>): Job {
    const now = new Date().toISOString();
    const job: Job = {
      id: randomUUID(),
      kind,
      title,
      status: 'running',
      createdAt: now,
      startedAt: now,
      phase: 'starting',
      bytesDone: 0,
      bytesTotal: 0,
      rate: 0,
      tasks: [],
      warnings: [],
    };
    const controller = new AbortController();
    const meters = new Map<string, ProgressMeter>([['', new ProgressMeter()]]);
    const entry = { job, controller, meters, done: Promise.resolve() };
    this.running.set(job.id, entry);
    this.persist(job);
    const ctx = this.context(entry);
    ctx.log(`Job started: ${title}`);
    entry.done = (async () => {
      try {
        const result = await work(ctx);
        if (result && typeof result === 'object') job.result = result as Record<string, unknown>;
        const failedTasks = job.tasks.filter((t) => t.status === 'failed').length;
        job.status = controller.signal.aborted
          ? 'cancelled'
          : failedTasks === 0
            ? 'succeeded'
            : failedTasks < job.tasks.length
              ? 'partial'
              : 'failed';
      } catch (err) {
        job.status = controller.signal.aborted ? 'cancelled' : 'failed';
        job.error = toErrorData(err);
        ctx.log(`ERROR ${job.error.message}`);
      } finally {
        job.finishedAt = new Date().toISOString();
        job.phase = job.status;
        job.etaSeconds = undefined;
        for (const t of job.tasks) {
          if (t.status !== 'running' && t.status !== 'queued') continue;
          // A task still waiting never began: its phase ("waiting for a free slot") is no longer true.
          if (t.status === 'queued') {
            t.phase = job.status === 'cancelled' ? 'cancelled' : 'failed';
            t.message ??= 'Did not start: the job ended while it waited.';
          }
          t.status = job.status === 'cancelled' ? 'cancelled' : 'failed';
        }
        sumTasks(job);
        ctx.log(`Job ${job.status}`);
        this.running.delete(job.id);
        this.persist(job);
        this.events.emit('job.changed', { job });
      }
    })();
    this.events.emit('job.changed', { job });
    return structuredClone(job);
  }

  /** Resolves when the job has ended (for `--wait` and tests). */
  async wait(id: string): Promise<Job> {
    await this.running.get(id)?.done;
    return this.get(id);
  }

  /** `reason`: why, when the engine itself stops the job (a closing backup window). */
  cancel(
    id: string,
    reason = new HyperkeepError('CANCELLED', 'Cancelled by the administrator.'),
  ): Job {
    const entry = this.running.get(id);
    if (!entry) throw new HyperkeepError('INVALID_INPUT', 'This job is not running.');
    entry.controller.abort(reason);
    this.appendLog(id, `Cancel requested: ${reason.message}`);
    return structuredClone(entry.job);
  }

  /** Whether job `id` is still queued or running in this engine. */
  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** Titles of the jobs of this engine that have not ended, oldest first. */
  activeTitles(): string[] {
    return [...this.running.values()].map((entry) => entry.job.title);
  }

  get(id: string): Job {
    const live = this.running.get(id);
    if (live) return structuredClone(live.job);
    const row = this.db.prepare('SELECT snapshot_json FROM jobs WHERE id = ?').get(id) as
      { snapshot_json: string } | undefined;
    if (!row) throw new HyperkeepError('NOT_FOUND', `No job with id ${id}.`);
    return JSON.parse(row.snapshot_json) as Job;
  }

  /** Newest first, at most `limit`; only of `kind`, and only created at or after `since`. */
  list(
    limit = 100,
    filter: {
      kind?: JobKind | undefined;
      since?: string | undefined;
      until?: string | undefined;
    } = {},
  ): Job[] {
    // created_at is an ISO 8601 UTC timestamp: compared as text once the bounds are in that form.
    const since = filter.since ? new Date(filter.since).toISOString() : '';
    const until = filter.until ? new Date(filter.until).toISOString() : null;
    const rows = this.db
      .prepare(
        'SELECT snapshot_json FROM jobs WHERE (? IS NULL OR kind = ?) AND created_at >= ? AND (? IS NULL OR created_at < ?) ORDER BY created_at DESC LIMIT ?',
      )
      .all(filter.kind ?? null, filter.kind ?? null, since, until, until, limit) as {
      snapshot_json: string;
    }[];
    return rows.map((r) => {
      const job = JSON.parse(r.snapshot_json) as Job;
      return this.running.has(job.id) ? structuredClone(this.running.get(job.id)!.job) : job;
    });
  }

  log(id: string): string {
    this.get(id);
    try {
      return readFileSync(join(this.logDir, `${id}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  async close(): Promise<void> {
    for (const entry of this.running.values())
      entry.controller.abort(new HyperkeepError('CANCELLED', 'The engine is shutting down.'));
    await Promise.allSettled([...this.running.values()].map((e) => e.done));
  }

  private context(entry: {
    job: Job;
    controller: AbortController;
    meters: Map<string, ProgressMeter>;
  }): JobContext {
    const { job } = entry;
    let lastEmit = 0;
    let lastPersist = 0;
    const changed = (force = false) => {
      const now = Date.now();
      const overall = entry.meters.get('')!;
      sumTasks(job);
      overall.update(job.bytesDone);
      job.rate = Math.round(overall.rate);
      job.etaSeconds = overall.eta(job.bytesDone, job.bytesTotal);
      if (force || now - lastEmit >= EMIT_INTERVAL_MS) {
        lastEmit = now;
        this.events.emit('job.progress', { job: structuredClone(job) });
      }
      if (force || now - lastPersist >= PERSIST_INTERVAL_MS) {
        lastPersist = now;
        this.persist(job);
      }
    };
    return {
      id: job.id,
      signal: entry.controller.signal,
      log: (line) => this.appendLog(job.id, line),
      warn: (line) => {
        job.warnings.push(line);
        this.appendLog(job.id, `WARNING ${line}`);
        changed(true);
      },
      phase: (phase) => {
        job.phase = phase;
        changed(true);
      },
      task: (key, label, options) => {
        const waiting = options?.waiting;
        const task: JobTask = {
          key,
          label,
          status: waiting === undefined ? 'running' : 'queued',
          phase: waiting ?? 'starting',
          bytesDone: 0,
          bytesTotal: 0,
          rate: 0,
        };
        job.tasks.push(task);
        const meter = new ProgressMeter();
        entry.meters.set(key, meter);
        changed(true);
        const finish = (status: JobStatus, message?: string, errorCode?: ErrorCode): void => {
          task.status = status;
          if (errorCode) task.errorCode = errorCode;
          task.phase = status;
          task.etaSeconds = undefined;
          if (message) task.message = message;
          this.appendLog(job.id, `${label}: ${status}${message ? ` — ${message}` : ''}`);
          changed(true);
        };
        return {
          start: () => {
            if (task.status !== 'queued') return;
            task.status = 'running';
            task.phase = 'starting';
            this.appendLog(job.id, `${label}: starting`);
            changed(true);
          },
          progress: (update) => {
            if (update.phase && update.phase !== task.phase)
              this.appendLog(job.id, `${label}: ${update.phase}`);
            Object.assign(
              task,
              Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined)),
            );
            meter.update(task.bytesDone);
            task.rate = Math.round(meter.rate);
            task.etaSeconds = meter.eta(task.bytesDone, task.bytesTotal);
            changed();
          },
          finish,
          fail: (err) => {
            const cancelled = entry.controller.signal.aborted;
            const error = toErrorData(cancelled ? entry.controller.signal.reason : err);
            finish(cancelled ? 'cancelled' : 'failed', error.message, error.code);
          },
          requeue: (waiting, message) => {
            Object.assign(task, { status: 'queued', phase: waiting, message });
            Object.assign(task, { bytesDone: 0, bytesTotal: 0, rate: 0, etaSeconds: undefined });
            meter.reset();
            this.appendLog(job.id, `${label}: ${waiting} — ${message}`);
            changed(true);
          },
        };
      },
    };
  }

  private appendLog(id: string, line: string): void {
    appendFileSync(join(this.logDir, `${id}.log`), `${new Date().toISOString()} ${line}\n`);
  }

  private persist(job: Job): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO jobs (id, kind, title, status, created_at, started_at, finished_at, snapshot_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        job.id,
        job.kind,
        job.title,
        job.status,
        job.createdAt,
        job.startedAt ?? null,
        job.finishedAt ?? null,
        JSON.stringify(job),
      );
  }
}

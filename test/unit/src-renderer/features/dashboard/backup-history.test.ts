import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../../../../shared/domain/jobs';
import {
  backupHistory,
  backupOutcome,
  dayText,
  daysText,
  historySummary,
} from '../../../../../src-renderer/features/dashboard/backup-history';

/** Local wall-clock times (the browser's time zone), as the chart buckets them. */
function local(month: number, day: number, hour = 12, minute = 0): Date {
  return new Date(2026, month - 1, day, hour, minute);
}

// Monday, November 23, 2026, 15:00 local: the chart covers Nov 10 to Nov 23.
const NOW = local(11, 23, 15).getTime();

let sequence = 0;

function job(status: Job['status'], finished: Date | null, extra: Partial<Job> = {}): Job {
  const created = new Date((finished ?? new Date(NOW)).getTime() - 10 * 60_000);
  return {
    id: `job-${++sequence}`,
    kind: 'backup',
    title: 'Backup of lab-set / web',
    status,
    createdAt: created.toISOString(),
    startedAt: created.toISOString(),
    ...(finished === null ? {} : { finishedAt: finished.toISOString() }),
    phase: 'done',
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
    tasks: [],
    warnings: [],
    ...extra,
  };
}

const dayOf = (history: ReturnType<typeof backupHistory>, month: number, day: number) =>
  history.days.find((d) => d.start === local(month, day, 0).getTime());

describe('backupHistory', () => {
  it('has one slot per local calendar day, today last, empty days included', () => {
    const history = backupHistory([], NOW);
    expect(history.days).toHaveLength(14);
    expect(history.days[0]?.start).toBe(local(11, 10, 0).getTime());
    expect(history.days[13]?.start).toBe(local(11, 23, 0).getTime());
    expect(history.days.map((d) => d.isToday)).toEqual([...Array<boolean>(13).fill(false), true]);
    expect(history.days.every((d) => d.total === 0 && !d.incomplete)).toBe(true);
    expect(history.total).toBe(0);
  });

  it('counts ended backup jobs by outcome, a success with warnings apart; others are left out', () => {
    const history = backupHistory(
      [
        job('succeeded', local(11, 23, 1)),
        job('succeeded', local(11, 23, 2), { warnings: ['guest agent not answering'] }),
        job('partial', local(11, 23, 3)),
        job('failed', local(11, 23, 4)),
        job('cancelled', local(11, 23, 5)),
        job('running', null),
        job('queued', null),
        job('succeeded', local(11, 23, 6), { kind: 'restore' }),
        job('failed', local(11, 23, 7), { kind: 'verify' }),
      ],
      NOW,
    );
    const today = history.days[13]!;
    expect(today.counts).toEqual({
      succeeded: 1,
      warnings: 1,
      partial: 1,
      failed: 1,
      cancelled: 1,
    });
    expect(today.total).toBe(5);
    expect(history.totals).toEqual(today.counts);
    expect(history.total).toBe(5);
  });

  it('puts a job on the local day it ended: just before and after midnight are two days', () => {
    const history = backupHistory(
      [
        job('succeeded', local(11, 21, 23, 59)),
        // Created on the 21st before midnight, ended on the 22nd: counts on the 22nd.
        job('failed', local(11, 22, 0, 5)),
      ],
      NOW,
    );
    expect(dayOf(history, 11, 21)?.counts.succeeded).toBe(1);
    expect(dayOf(history, 11, 21)?.counts.failed).toBe(0);
    expect(dayOf(history, 11, 22)?.counts.failed).toBe(1);
  });

  it('leaves out jobs older than the 14 days', () => {
    const history = backupHistory(
      [job('failed', local(11, 9, 23, 59)), job('succeeded', local(11, 10, 0, 1))],
      NOW,
    );
    expect(history.total).toBe(1);
    expect(history.days[0]?.counts.succeeded).toBe(1);
  });

  it('marks the days the job list may not cover when it was cut at its limit', () => {
    const history = backupHistory(
      [job('succeeded', local(11, 15, 8))],
      NOW,
      local(11, 14, 9).getTime(),
    );
    expect(
      history.days.filter((d) => d.incomplete).map((d) => new Date(d.start).getDate()),
    ).toEqual([10, 11, 12, 13, 14]);
    expect(dayText(history.days[0]!)).toBe(
      'Tue, Nov 10: no backup job (older jobs not loaded, there may be more)',
    );
  });
});

describe('over a daylight-saving change', () => {
  const zone = process.env['TZ'];
  afterEach(() => {
    if (zone === undefined) delete process.env['TZ'];
    else process.env['TZ'] = zone;
  });

  it('each slot still starts at a local midnight, one per date (Berlin, Oct 25 2026)', () => {
    process.env['TZ'] = 'Europe/Berlin';
    const now = new Date(2026, 10, 3, 12).getTime();
    const history = backupHistory([job('failed', new Date(2026, 9, 25, 23, 30))], now);
    const dates = history.days.map((d) => new Date(d.start));
    expect(dates.every((d) => d.getHours() === 0 && d.getMinutes() === 0)).toBe(true);
    expect(dates.map((d) => d.getDate())).toEqual([
      21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 1, 2, 3,
    ]);
    expect(history.days[4]?.counts.failed).toBe(1);
  });
});

describe('text', () => {
  it('names the outcomes of a job', () => {
    expect(backupOutcome(job('succeeded', local(11, 1), { warnings: ['x'] }))).toBe('warnings');
    expect(backupOutcome(job('running', null))).toBeNull();
  });

  it('a day’s tooltip gives its counts, today says so', () => {
    const history = backupHistory(
      [job('succeeded', local(11, 23, 1)), job('failed', local(11, 23, 2))],
      NOW,
    );
    expect(dayText(history.days[13]!)).toBe('Mon, Nov 23 (today): 1 succeeded, 1 failed');
    expect(dayText(history.days[12]!)).toBe('Sun, Nov 22: no backup job');
  });

  it('joins days, runs of three or more as a range', () => {
    const days = backupHistory([], NOW).days;
    expect(daysText([days[10]!])).toBe('Nov 20');
    expect(daysText([days[10]!, days[12]!])).toBe('Nov 20 and Nov 22');
    expect(daysText([days[0]!, days[1]!, days[2]!, days[5]!, days[6]!, days[10]!])).toBe(
      'Nov 10 to Nov 12, Nov 15 and Nov 16 and Nov 20',
    );
  });

  it('sums the 14 days up for screen readers: totals, failure days, days without a backup', () => {
    const jobs = [
      ...Array.from({ length: 12 }, (_, i) => job('succeeded', local(11, 10 + i, 1))),
      ...Array.from({ length: 11 }, (_, i) => job('succeeded', local(11, 12 + i, 2))),
      job('failed', local(11, 20, 3)),
      job('partial', local(11, 22, 3)),
    ];
    expect(historySummary(backupHistory(jobs, NOW))).toBe(
      'Last 14 days: 23 succeeded, 1 partially succeeded, 1 failed; failures on Nov 20 and Nov 22; no backup job on Nov 23',
    );
    expect(historySummary(backupHistory([], NOW))).toBe('Last 14 days: no backup job');
  });
});

import { HyperkeepError } from '../../../shared/errors';

/**
 * Which restore points to keep. Counts are per VM. A point is kept when any rule wants it:
 * keepLast N keeps the N newest; keepDaily N keeps the newest point of each of the N most recent
 * days that have points (likewise hourly/weekly/monthly/yearly; weeks are ISO weeks);
 * keepWithinDays D keeps everything taken within D days before the newest point.
 */
export interface RetentionPolicy {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithinDays?: number;
}

export interface RetentionCandidate {
  id: string;
  time: Date;
  /** Points are grouped (per VM) before the policy is applied. */
  group: string;
}

export interface RetentionDecision {
  id: string;
  group: string;
  keep: boolean;
  /** Why it is kept, e.g. ["last", "daily 2025-03-14"]; empty for a point to remove. */
  reasons: string[];
}

type Bucket = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';
const BUCKETS: ReadonlyArray<[Bucket, keyof RetentionPolicy]> = [
  ['hourly', 'keepHourly'],
  ['daily', 'keepDaily'],
  ['weekly', 'keepWeekly'],
  ['monthly', 'keepMonthly'],
  ['yearly', 'keepYearly'],
];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Calendar fields of `t` in `timeZone` (an administrator's "daily" follows their clock). */
function localParts(
  fmt: Intl.DateTimeFormat,
  t: Date,
): { y: number; m: number; d: number; h: number } {
  const parts = Object.fromEntries(fmt.formatToParts(t).map((p) => [p.type, p.value]));
  return {
    y: Number(parts.year),
    m: Number(parts.month),
    d: Number(parts.day),
    h: Number(parts.hour) % 24,
  };
}

/** ISO 8601 week-numbering year and week of a calendar date. */
function isoWeek(y: number, m: number, d: number): string {
  const date = new Date(Date.UTC(y, m - 1, d));
  const weekday = date.getUTCDay() || 7; // Monday 1 … Sunday 7
  // The Thursday of a week decides which year the week belongs to.
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${pad(week)}`;
}

function bucketOf(kind: Bucket, p: { y: number; m: number; d: number; h: number }): string {
  switch (kind) {
    case 'hourly':
      return `${p.y}-${pad(p.m)}-${pad(p.d)} ${pad(p.h)}h`;
    case 'daily':
      return `${p.y}-${pad(p.m)}-${pad(p.d)}`;
    case 'weekly':
      return isoWeek(p.y, p.m, p.d);
    case 'monthly':
      return `${p.y}-${pad(p.m)}`;
    case 'yearly':
      return `${p.y}`;
  }
}

export function validatePolicy(policy: RetentionPolicy): void {
  const values = Object.entries(policy).filter(([, v]) => v !== undefined);
  for (const [k, v] of values) {
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      v < 0 ||
      (k !== 'keepWithinDays' && !Number.isInteger(v))
    ) {
      throw new HyperkeepError(
        'INVALID_INPUT',
        `Retention rule ${k} must be a non-negative whole number, got ${String(v)}`,
      );
    }
  }
  if (!values.some(([, v]) => (v as number) > 0)) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      'The retention policy keeps nothing: refusing to delete every restore point',
    );
  }
}

/** Pure: decides for every point whether the policy keeps it. Newest first within each group. */
export function selectRetention(
  points: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  timeZone = 'UTC',
): RetentionDecision[] {
  validatePolicy(policy);
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    hourCycle: 'h23',
  });
  const groups = new Map<string, RetentionCandidate[]>();
  for (const p of points) groups.set(p.group, [...(groups.get(p.group) ?? []), p]);
  const out: RetentionDecision[] = [];
  for (const [group, list] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const sorted = [...list].sort(
      (a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? 1 : -1),
    );
    const remaining = new Map(BUCKETS.map(([kind, key]) => [kind, policy[key] ?? 0]));
    const lastBucket = new Map<Bucket, string>();
    const newest = sorted[0]?.time.getTime() ?? 0;
    const withinMs = (policy.keepWithinDays ?? 0) * 86_400_000;
    sorted.forEach((p, nr) => {
      const reasons: string[] = [];
      if (nr < (policy.keepLast ?? 0)) reasons.push('last');
      if (withinMs > 0 && newest - p.time.getTime() <= withinMs)
        reasons.push(`within ${policy.keepWithinDays} days`);
      const parts = localParts(fmt, p.time);
      for (const [kind] of BUCKETS) {
        const left = remaining.get(kind)!;
        if (left <= 0) continue;
        const bucket = bucketOf(kind, parts);
        // Newest point first, so the first point seen in a bucket is the one that represents it.
        if (bucket !== lastBucket.get(kind)) {
          lastBucket.set(kind, bucket);
          remaining.set(kind, left - 1);
          reasons.push(`${kind} ${bucket}`);
        }
      }
      out.push({ id: p.id, group, keep: reasons.length > 0, reasons });
    });
  }
  return out;
}

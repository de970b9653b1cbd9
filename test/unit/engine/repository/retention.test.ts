import { describe, expect, it } from 'vitest';
import {
  selectRetention,
  type RetentionPolicy,
} from '../../../../src-main/engine/repository/retention';

/** Points at the given UTC times, ids p1…pN in order. */
function points(times: string[], group = 'vm-a') {
  return times.map((t, i) => ({ id: `p${i + 1}`, time: new Date(t), group }));
}

function kept(times: string[], policy: RetentionPolicy, timeZone = 'UTC'): string[] {
  return selectRetention(points(times), policy, timeZone)
    .filter((d) => d.keep)
    .map((d) => d.id)
    .sort();
}

// Two points a day from 2025-01-01 to 2025-03-31 (a Wednesday to a Monday).
const daily: string[] = [];
for (
  let d = new Date('2025-01-01T00:00:00Z');
  d < new Date('2025-04-01T00:00:00Z');
  d = new Date(d.getTime() + 86_400_000)
) {
  const day = d.toISOString().slice(0, 10);
  daily.push(`${day}T02:00:00Z`, `${day}T14:00:00Z`);
}
const idOf = (t: string) => `p${daily.indexOf(t) + 1}`;

describe('selectRetention', () => {
  it.each<[string, RetentionPolicy, string[]]>([
    [
      'keepLast 3',
      { keepLast: 3 },
      ['2025-03-30T14:00:00Z', '2025-03-31T02:00:00Z', '2025-03-31T14:00:00Z'],
    ],
    // The newest point of each of the 3 latest days: the 14:00 ones.
    [
      'keepDaily 3',
      { keepDaily: 3 },
      ['2025-03-29T14:00:00Z', '2025-03-30T14:00:00Z', '2025-03-31T14:00:00Z'],
    ],
    // ISO weeks: 03-31 is the Monday of W14, 03-30 the Sunday that ends W13, 03-23 ends W12.
    [
      'keepWeekly 3',
      { keepWeekly: 3 },
      ['2025-03-23T14:00:00Z', '2025-03-30T14:00:00Z', '2025-03-31T14:00:00Z'],
    ],
    ['keepMonthly 2', { keepMonthly: 2 }, ['2025-02-28T14:00:00Z', '2025-03-31T14:00:00Z']],
    ['keepYearly 5 (only one year exists)', { keepYearly: 5 }, ['2025-03-31T14:00:00Z']],
    [
      'rules add up: last 1 + daily 2 + monthly 3',
      { keepLast: 1, keepDaily: 2, keepMonthly: 3 },
      [
        '2025-01-31T14:00:00Z',
        '2025-02-28T14:00:00Z',
        '2025-03-30T14:00:00Z',
        '2025-03-31T14:00:00Z',
      ],
    ],
    [
      'keepWithinDays 1 keeps everything in the day before the newest point',
      { keepWithinDays: 1 },
      ['2025-03-30T14:00:00Z', '2025-03-31T02:00:00Z', '2025-03-31T14:00:00Z'],
    ],
  ])('%s', (_name, policy, expected) => {
    expect(kept(daily, policy)).toEqual(expected.map(idOf).sort());
  });

  it('counts days in the administrator’s time zone', () => {
    // 23:30 UTC on Jan 1 is already Jan 2 in Berlin, so the two points fall on the same day there.
    const times = ['2025-01-01T10:00:00Z', '2025-01-01T23:30:00Z', '2025-01-02T10:00:00Z'];
    expect(kept(times, { keepDaily: 5 }, 'UTC')).toEqual(['p2', 'p3']);
    expect(kept(times, { keepDaily: 5 }, 'Europe/Berlin')).toEqual(['p1', 'p3']);
  });

  it('applies the policy to each VM separately', () => {
    const list = [
      ...points(['2025-01-01T00:00:00Z', '2025-01-02T00:00:00Z'], 'a'),
      ...points(['2025-01-01T00:00:00Z'], 'b'),
    ];
    const decisions = selectRetention(list, { keepLast: 1 });
    expect(
      decisions
        .filter((d) => d.keep)
        .map((d) => `${d.group}/${d.id}`)
        .sort(),
    ).toEqual(['a/p2', 'b/p1']);
  });

  it('says why a point is kept', () => {
    const [newest] = selectRetention(points(['2025-03-31T14:00:00Z']), {
      keepLast: 1,
      keepDaily: 1,
      keepWeekly: 1,
    });
    expect(newest?.reasons).toEqual(['last', 'daily 2025-03-31', 'weekly 2025-W14']);
  });

  it('refuses a policy that keeps nothing, and bad numbers', () => {
    expect(() => selectRetention(points(daily), {})).toThrow(/keeps nothing/);
    expect(() => selectRetention(points(daily), { keepLast: 0 })).toThrow(/keeps nothing/);
    expect(() => selectRetention(points(daily), { keepDaily: -1 })).toThrow(/non-negative/);
    expect(() => selectRetention(points(daily), { keepDaily: 1.5 })).toThrow(/whole number/);
  });

  it('handles ISO week-year edges (Dec 29 2024 is in 2024-W52, Dec 30 in 2025-W01)', () => {
    const [a, b] = selectRetention(points(['2024-12-30T12:00:00Z', '2024-12-29T12:00:00Z']), {
      keepWeekly: 2,
    });
    expect(a?.reasons).toEqual(['weekly 2025-W01']);
    expect(b?.reasons).toEqual(['weekly 2024-W52']);
  });
});

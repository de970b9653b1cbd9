import { describe, expect, it } from 'vitest';
import { SubclientSettings } from '../../../../shared/domain/backup-set';
import { windowState } from '../../../../src-main/engine/backup-sets/backup-window';
import { validateSettings } from '../../../../src-main/engine/backup-sets/subclient-settings';

const night = { enabled: true, start: '20:00', end: '06:00' };
const office = { enabled: true, start: '09:00', end: '17:30' };

describe('a backup window', () => {
  it('across midnight: open from the evening to the morning in the zone, closed in the day', () => {
    // 21:30 in Berlin (UTC+1 in November): open, closes at 06:00 the next morning.
    const evening = windowState(night, 'Europe/Berlin', new Date('2026-11-24T20:30:00Z'));
    expect(evening.open).toBe(true);
    expect(evening.closesAt.toISOString()).toBe('2026-11-25T05:00:00.000Z');
    // 02:00 Berlin, past midnight: still open, closing the same morning.
    const lateNight = windowState(night, 'Europe/Berlin', new Date('2026-11-25T01:00:00Z'));
    expect(lateNight.open).toBe(true);
    expect(lateNight.closesAt.toISOString()).toBe('2026-11-25T05:00:00.000Z');
    // 12:00 Berlin: closed, opens at 20:00.
    const noon = windowState(night, 'Europe/Berlin', new Date('2026-11-25T11:00:00Z'));
    expect(noon.open).toBe(false);
    expect(noon.opensAt.toISOString()).toBe('2026-11-25T19:00:00.000Z');
  });

  it('within a day, and the same instant read in another zone', () => {
    const at = new Date('2026-11-24T15:00:00Z');
    expect(windowState(office, 'UTC', at).open).toBe(true);
    // 15:00 UTC is 10:00 in New York: open there too; 00:00 in Tokyo: closed.
    expect(windowState(office, 'America/New_York', at).open).toBe(true);
    expect(windowState(office, 'Asia/Tokyo', at).open).toBe(false);
    // Its end belongs to the next window: at 17:30 exactly it is closed.
    expect(windowState(office, 'UTC', new Date('2026-11-24T17:30:00Z')).open).toBe(false);
    expect(windowState(office, 'UTC', new Date('2026-11-24T09:00:00Z')).open).toBe(true);
  });

  it('keeps to the wall clock across a daylight-saving change', () => {
    // Berlin leaves summer time on 2026-10-25 at 03:00: the window still closes at 06:00 local.
    const s = windowState(night, 'Europe/Berlin', new Date('2026-10-24T22:00:00Z'));
    expect(s.open).toBe(true);
    expect(s.closesAt.toISOString()).toBe('2026-10-25T05:00:00.000Z');
  });

  it('refuses times that are not HH:MM, an empty window, and an unknown zone', () => {
    const parse = (window: object) =>
      SubclientSettings.safeParse({ activity: { window: { enabled: true, ...window } } });
    expect(parse({ start: '8pm' }).error?.issues[0]?.message).toMatch(/HH:MM/);
    expect(parse({ start: '24:00' }).success).toBe(false);
    expect(parse({ start: '06:00', end: '06:00' }).error?.issues[0]?.path).toEqual([
      'activity',
      'window',
      'end',
    ]);
    const settings = SubclientSettings.parse({
      activity: { window: night },
      schedule: { timezone: 'Mars/Olympus' },
    });
    expect(() => validateSettings(settings)).toThrow(/Unknown time zone "Mars\/Olympus"/);
  });
});

describe('a schedule with a backup window', () => {
  const withSchedule = (full: string, incremental: string, window = night) =>
    SubclientSettings.parse({
      schedule: { enabled: true, full, incremental, timezone: 'Europe/Berlin' },
      activity: { window },
    });

  it('is accepted when some of its runs fall in the window, hourly ones included', () => {
    expect(() => validateSettings(withSchedule('0 22 * * 6', '0 * * * *'))).not.toThrow();
    // A run at the very minute the window opens counts; one at the minute it closes does not.
    expect(() => validateSettings(withSchedule('0 20 * * *', '0 20 * * *'))).not.toThrow();
    expect(() => validateSettings(withSchedule('0 6 * * *', '0 20 * * *'))).toThrow(
      /full backup schedule "0 6 \* \* \*"/,
    );
  });

  it('is refused when a schedule would never start a backup, naming which and why', () => {
    const never = () => validateSettings(withSchedule('0 22 * * 6', '30 12 * * 1-5'));
    expect(never).toThrow(
      'None of the next runs of the incremental backup schedule "30 12 * * 1-5" falls in the backup window 20:00–06:00 (Europe/Berlin): they would never start.',
    );
    // Turned off, the schedule does not matter; nor does the window when it is off.
    const off = withSchedule('0 22 * * 6', '30 12 * * 1-5');
    expect(() =>
      validateSettings({ ...off, schedule: { ...off.schedule, enabled: false } }),
    ).not.toThrow();
    expect(() =>
      validateSettings(withSchedule('0 12 * * *', '30 12 * * 1-5', { ...night, enabled: false })),
    ).not.toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import type { RestorePoint } from '../../../../../shared/domain/jobs';
import {
  browseScopeLabel,
  formatOffset,
  formatPointTime,
  nowInZone,
  pointAtOrBefore,
  throughEndOfSecond,
  timeZoneLabel,
  timeZoneNames,
  zonedIso,
} from '../../../../../src-renderer/features/restore/browse-time';

function point(id: string, time: string): RestorePoint {
  return {
    id,
    repository: 'default',
    vmUuid: 'u',
    vmName: 'lab-web-01',
    time,
    type: 'incremental',
    consistency: 'crash',
    logicalBytes: 0,
    storedBytes: 0,
    disks: [],
  };
}

describe('browse time (FIG. 11)', () => {
  it('turns a wall-clock time in a zone into ISO 8601 with that zone’s offset', () => {
    expect(zonedIso('2009-01-21', '17:24', 'America/New_York')).toBe('2009-01-21T17:24:00-05:00');
    // Summer time in New York, and a half-hour zone.
    expect(zonedIso('2026-07-01', '08:00', 'America/New_York')).toBe('2026-07-01T08:00:00-04:00');
    expect(zonedIso('2026-11-22', '23:59:30', 'Asia/Kolkata')).toBe('2026-11-22T23:59:30+05:30');
    expect(zonedIso('2026-11-22', '12:00', 'UTC')).toBe('2026-11-22T12:00:00+00:00');
  });

  it('the ISO moment is the same instant the administrator meant', () => {
    const iso = zonedIso('2026-03-29', '01:30', 'Europe/Paris')!;
    expect(new Date(iso).toISOString()).toBe('2026-03-29T00:30:00.000Z');
  });

  it('refuses dates and times that do not exist', () => {
    expect(zonedIso('2026-02-31', '10:00', 'UTC')).toBeUndefined();
    expect(zonedIso('2026-13-01', '10:00', 'UTC')).toBeUndefined();
    expect(zonedIso('2026-01-01', '24:00', 'UTC')).toBeUndefined();
    expect(zonedIso('', '10:00', 'UTC')).toBeUndefined();
    expect(zonedIso('2026-01-01', '', 'UTC')).toBeUndefined();
  });

  it('labels zones with their offset, and lists the zones the runtime knows', () => {
    expect(formatOffset(-300)).toBe('-05:00');
    expect(formatOffset(330)).toBe('+05:30');
    expect(timeZoneLabel('America/New_York', Date.UTC(2009, 0, 21))).toBe(
      '(GMT-05:00) America/New York',
    );
    const names = timeZoneNames();
    expect(names[0]).toBe('UTC');
    expect(names).toContain('Europe/Paris');
  });

  it('prefills the current minute in the chosen zone', () => {
    const now = Date.UTC(2026, 10, 22, 23, 30);
    expect(nowInZone('Asia/Tokyo', now)).toEqual({ date: '2026-11-23', time: '08:30' });
    expect(nowInZone('UTC', now)).toEqual({ date: '2026-11-22', time: '23:30' });
  });

  it('picks the newest point at or before the moment, whatever the offsets', () => {
    const points = [
      point('c', '2026-11-22T12:00:00Z'),
      point('b', '2026-11-22T10:00:00Z'),
      point('a', '2026-11-21T10:00:00Z'),
    ];
    expect(pointAtOrBefore(points, '2026-11-22T12:00:00+01:00')?.id).toBe('b');
    expect(pointAtOrBefore(points, '2026-11-22T12:00:00Z')?.id).toBe('c');
    expect(pointAtOrBefore(points, '2026-11-22T05:00:00-05:00')?.id).toBe('b');
    expect(pointAtOrBefore(points, '2026-11-20T00:00:00Z')).toBeUndefined();
    expect(pointAtOrBefore(points, 'not a date')).toBeUndefined();
  });

  it('picks a point stamped within the typed second (review M7)', () => {
    const points = [point('p', '2026-11-23T03:50:00.073Z')];
    const typed = zonedIso('2026-11-23', '03:50:00', 'UTC')!;
    expect(pointAtOrBefore(points, typed)).toBeUndefined();
    expect(throughEndOfSecond(typed)).toBe('2026-11-23T03:50:00.999+00:00');
    expect(pointAtOrBefore(points, throughEndOfSecond(typed))?.id).toBe('p');
    expect(throughEndOfSecond('not a date')).toBe('not a date');
  });
});

describe('the Restore header’s label of what is shown (review M8)', () => {
  const points = [
    point('new', '2026-11-23T08:52:18Z'),
    point('mid', '2026-11-23T08:51:37Z'),
    point('old', '2026-11-22T08:00:00Z'),
  ];
  const latest = { at: undefined, timeZone: 'UTC' };

  it('says "latest data" only while the newest point is shown', () => {
    expect(browseScopeLabel(latest, points[0], points)).toBe('latest data');
    // Opened from the drawer on an older point: its own time, not "latest data".
    expect(browseScopeLabel(latest, points[1], points)).toBe(
      `data of ${formatPointTime('2026-11-23T08:51:37Z')}`,
    );
    expect(browseScopeLabel(latest, undefined, points)).toBe('latest data');
  });

  it('keeps the browse time while the point shown predates it', () => {
    const before = { at: '2026-11-23T08:52:00+00:00', timeZone: 'UTC' };
    const label = 'data before 2026-11-23 08:52:00 (GMT+00:00) UTC';
    expect(browseScopeLabel(before, points[1], points)).toBe(label);
    expect(browseScopeLabel(before, points[2], points)).toBe(label);
    // The switcher moved past the browse time: the point's own time.
    expect(browseScopeLabel(before, points[0], points)).toBe('latest data');
  });
});

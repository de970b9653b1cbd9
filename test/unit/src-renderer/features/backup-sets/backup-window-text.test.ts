import { describe, expect, it } from 'vitest';
import { SubclientSettings } from '../../../../../shared/domain/backup-set';
import {
  backupWindowText,
  normalizeTimeOfDay,
} from '../../../../../src-renderer/features/backup-sets/subclient/backup-window-text';
import { tabOfField } from '../../../../../src-renderer/features/backup-sets/subclient/use-subclient-form';

const on = (start: string, end: string) => ({ enabled: true, start, end });

describe('the backup window in words', () => {
  it('says a window crossing midnight closes the next morning, in the schedule’s zone', () => {
    expect(backupWindowText(on('20:00', '06:00'), 'Europe/Berlin', true)).toBe(
      'Scheduled backups start only from 20:00 to 06:00 the next morning (Europe/Berlin); ' +
        'one still running at 06:00 is stopped. Backups started by hand run at any time.',
    );
  });

  it('says a window within one day closes the same day', () => {
    expect(backupWindowText(on('08:00', '18:30'), 'UTC', true)).toBe(
      'Scheduled backups start only from 08:00 to 18:30 (UTC); one still running at 18:30 is ' +
        'stopped. Backups started by hand run at any time.',
    );
  });

  it('says "the next day" for an afternoon close and "midnight" for 00:00', () => {
    expect(backupWindowText(on('22:00', '14:00'), 'UTC', true)).toMatch(
      /^Scheduled backups start only from 22:00 to 14:00 the next day \(UTC\)/,
    );
    expect(backupWindowText(on('18:00', '00:00'), 'UTC', true)).toMatch(
      /from 18:00 to midnight \(UTC\); one still running at midnight is stopped\./,
    );
  });

  it('says the window does nothing while scheduled backups are off', () => {
    expect(backupWindowText(on('20:00', '06:00'), 'UTC', false)).toMatch(
      /Scheduled backups are off on the Schedule tab: the window applies once they are on\.$/,
    );
  });

  it('says what is off, unreadable or empty instead of describing a window that is none', () => {
    const off = SubclientSettings.parse({}).activity.window;
    expect(backupWindowText(off, 'UTC', true)).toBe(
      'Off: scheduled backups start whenever the schedule says and run until they finish.',
    );
    expect(backupWindowText(on('25:00', '06:00'), 'UTC', true)).toMatch(/^Enter when the window/);
    expect(backupWindowText(on('20:00', ''), 'UTC', true)).toMatch(/^Enter when the window/);
    expect(backupWindowText(on('06:00', '06:00'), 'UTC', true)).toBe(
      'The window must close at another time than it opens.',
    );
  });
});

describe('times as typed', () => {
  it('become HH:MM when they can be read, and stay as typed otherwise', () => {
    expect(normalizeTimeOfDay('5:00')).toBe('05:00');
    expect(normalizeTimeOfDay(' 0500 ')).toBe('05:00');
    expect(normalizeTimeOfDay('21.30')).toBe('21:30');
    expect(normalizeTimeOfDay('7')).toBe('07:00');
    expect(normalizeTimeOfDay('21:30')).toBe('21:30');
    expect(normalizeTimeOfDay('24:00')).toBe('24:00');
    expect(normalizeTimeOfDay('9:75')).toBe('9:75');
    expect(normalizeTimeOfDay('tonight')).toBe('tonight');
    expect(normalizeTimeOfDay('')).toBe('');
  });
});

describe('backup window errors', () => {
  it('open the Activity Control tab, where the window is set', () => {
    expect(tabOfField('settings.activity.window.start')).toBe('activity');
    expect(tabOfField('settings.activity.window.end')).toBe('activity');
  });
});

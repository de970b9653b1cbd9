import { describe, expect, it } from 'vitest';
import { SubclientInput } from '../../../../../shared/domain/backup-set';
import { ApiError } from '../../../../../src-renderer/api/api-error';
import {
  errorsUnder,
  fieldErrorsFrom,
  fieldErrorsFromZod,
  hasErrorUnder,
} from '../../../../../src-renderer/features/backup-sets/field-errors';

describe('fieldErrorsFrom', () => {
  it('puts an engine error next to the field it names', () => {
    const regex = new ApiError('INVALID_INPUT', 'Invalid regular expression /web(/', {
      field: 'content.rules.1.pattern',
    });
    expect(fieldErrorsFrom(regex)).toEqual({
      fields: { 'content.rules.1.pattern': 'Invalid regular expression /web(/' },
    });
    const taken = new ApiError('ALREADY_EXISTS', 'A backup set named "x" exists.', {
      field: 'name',
    });
    expect(fieldErrorsFrom(taken).fields).toEqual({ name: 'A backup set named "x" exists.' });
  });

  it('uses every zod issue the engine sends, and re-roots paths on request', () => {
    const err = new ApiError('INVALID_INPUT', 'Invalid request', {
      field: 'rules.0.pattern',
      issues: [
        { path: 'rules.0.pattern', message: 'A pattern is required' },
        { path: ['rules', 2, 'key'], message: 'Too small' },
      ],
    });
    expect(fieldErrorsFrom(err, 'content.').fields).toEqual({
      'content.rules.0.pattern': 'A pattern is required',
      'content.rules.2.key': 'Too small',
    });
  });

  it('files a schedule’s time zone error under the time zone field', () => {
    const err = new ApiError('INVALID_INPUT', 'Unknown time zone "Mars/Base"', {
      field: 'settings.schedule.full.timezone',
    });
    expect(Object.keys(fieldErrorsFrom(err).fields)).toEqual(['settings.schedule.timezone']);
  });

  it('keeps what belongs to no field for the dialog’s alert', () => {
    const down = new ApiError('CONNECT_FAILED', 'Cannot connect to libvirt at /x.sock');
    expect(fieldErrorsFrom(down)).toEqual({ fields: {}, general: down.message });
    expect(fieldErrorsFrom(new Error('boom')).general).toBe(
      'Unexpected error in the console: boom',
    );
  });
});

describe('fieldErrorsFromZod', () => {
  it('names the failing fields by their dotted path, an emptied number box included', () => {
    const parsed = SubclientInput.safeParse({
      backupSetId: 'set',
      name: ' ',
      settings: { dataReaders: Number.NaN, retention: { keepDaily: -1 } },
      content: { rules: [{ type: 'name', pattern: '' }] },
    });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    const { fields } = fieldErrorsFromZod(parsed.error);
    expect(fields['name']).toBe('A name is required');
    expect(fields['settings.dataReaders']).toBe('Enter a whole number');
    expect(fields['settings.retention.keepDaily']).toBeDefined();
    expect(fields['content.rules.0.pattern']).toBe('A pattern is required');
  });
});

describe('errorsUnder / hasErrorUnder', () => {
  const fields = { 'content.rules.0.pattern': 'bad', 'settings.schedule.full': 'worse' };
  it('re-roots the errors of one part of a form', () => {
    expect(errorsUnder(fields, 'content.')).toEqual({ 'rules.0.pattern': 'bad' });
  });
  it('tells which tabs hold errors, by whole path segments', () => {
    expect(hasErrorUnder(fields, ['settings.schedule'])).toBe(true);
    expect(hasErrorUnder(fields, ['settings.sched'])).toBe(false);
    expect(hasErrorUnder(fields, ['content'])).toBe(true);
  });
});

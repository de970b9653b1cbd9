import { describe, expect, it } from 'vitest';
import { HypervisorInput } from '../../../../../shared/domain/hypervisor';
import { ApiError } from '../../../../../src-renderer/api/api-error';
import {
  formErrorsFrom,
  formErrorsFromZod,
} from '../../../../../src-renderer/features/hypervisors/form-errors';

describe('formErrorsFrom', () => {
  it('puts a URI the engine rejects next to the URI field', () => {
    const err = new ApiError(
      'INVALID_URI',
      'Unsupported scheme "http" — use qemu:// or qemu+unix://',
    );
    expect(formErrorsFrom(err)).toEqual({ fields: { uri: err.message } });
  });

  it('uses the field the engine names, or its zod issues (joined or array paths)', () => {
    expect(
      formErrorsFrom(
        new ApiError('ALREADY_EXISTS', 'A hypervisor named x exists', { field: 'name' }),
      ),
    ).toEqual({ fields: { name: 'A hypervisor named x exists' } });
    expect(
      formErrorsFrom(
        new ApiError('INVALID_INPUT', 'Invalid request', {
          issues: [
            { path: 'uri', message: 'A URI is required' },
            { path: ['username'], message: 'Too long' },
          ],
        }),
      ),
    ).toEqual({ fields: { uri: 'A URI is required', username: 'Too long' } });
  });

  it('keeps connection and unknown failures for the alert, with a hint where one helps', () => {
    const connect = new ApiError('CONNECT_FAILED', 'Cannot connect to libvirt at /x.sock');
    expect(formErrorsFrom(connect)).toEqual({ fields: {}, general: connect.message });
    const auth = formErrorsFrom(new ApiError('UNAUTHORIZED', 'Token required.'));
    expect(auth.general).toMatch(/^Token required\. Open the console with the link/);
    expect(formErrorsFrom(new TypeError('x is undefined')).general).toBe(
      'Unexpected error in the console: x is undefined',
    );
  });
});

describe('formErrorsFromZod', () => {
  it('maps the shared schema messages to the dialog fields', () => {
    const result = HypervisorInput.safeParse({ name: ' ', type: 'libvirt', uri: '' });
    expect(result.success).toBe(false);
    expect(formErrorsFromZod(result.error!).fields).toEqual({
      name: 'A name is required',
      uri: 'A URI is required',
    });
  });
});

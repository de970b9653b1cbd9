import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src-renderer/api/api-error';
import { decodeResult } from '../../../../src-renderer/api/envelope';

const info = {
  version: '0.1.0',
  home: '/var/lib/hyperkeep',
  restoreFolder: '/root/hyperkeep-restores',
  mode: 'serve',
  catalogSchemaVersion: 2,
  nodeVersion: '24.21.0',
};

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('decodeResult', () => {
  it('returns the value of an ok result that matches the contract', () => {
    expect(decodeResult('app.info', { ok: true, value: info })).toEqual(info);
  });

  it('throws the engine error with its code, message and details', () => {
    const err = thrown(() =>
      decodeResult('hypervisor.add', {
        ok: false,
        error: { code: 'INVALID_URI', message: 'Bad URI', details: { field: 'uri' } },
      }),
    );
    expect(err).toMatchObject({
      code: 'INVALID_URI',
      message: 'Bad URI',
      details: { field: 'uri' },
      channel: 'hypervisor.add',
    });
  });

  it('says so when the engine sends data the contract does not allow', () => {
    const err = thrown(() => decodeResult('app.info', { ok: true, value: { ...info, mode: 'x' } }));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toMatch(/app\.info with data this console does not understand \(mode:/);
  });

  it('treats an error page without an envelope as an unreachable engine', () => {
    const err = thrown(() => decodeResult('vm.list', { message: 'Bad gateway' }, 502));
    expect(err.code).toBe('ENGINE_UNREACHABLE');
    expect(err.message).toContain('(HTTP 502)');
  });
});

import { describe, expect, it } from 'vitest';
import { channels, contract } from '../../../shared/contract';
import { HyperkeepError, toErrorData } from '../../../shared/errors';

describe('contract schemas', () => {
  it('accepts a hypervisor the dialog would send and rejects unknown fields', () => {
    const add = contract['hypervisor.add'].request;
    expect(add.safeParse({ name: 'kvm-01', type: 'libvirt', uri: 'qemu:///system' }).success).toBe(
      true,
    );
    expect(
      add.safeParse({ name: 'kvm-01', type: 'libvirt', uri: 'qemu:///system', admin: true })
        .success,
    ).toBe(false);
  });

  it('rejects empty names, unknown types and oversized values', () => {
    const add = contract['hypervisor.add'].request;
    expect(add.safeParse({ name: '  ', type: 'libvirt', uri: 'qemu:///system' }).success).toBe(
      false,
    );
    expect(add.safeParse({ name: 'a', type: 'hyperv', uri: 'x' }).success).toBe(false);
    expect(add.safeParse({ name: 'a', type: 'libvirt', uri: 'x'.repeat(5000) }).success).toBe(
      false,
    );
  });

  it('never lets a password through the hypervisor response schema', () => {
    const parsed = contract['hypervisor.add'].response.parse({
      id: '1',
      name: 'n',
      type: 'libvirt',
      uri: 'qemu:///system',
      hasPassword: true,
      createdAt: new Date().toISOString(),
      password: 'secret',
      password_secret: 'kf1:abc',
    });
    expect(JSON.stringify(parsed)).not.toContain('secret');
  });

  it('test accepts either a registered id or the dialog values', () => {
    const test = contract['hypervisor.test'].request;
    expect(test.safeParse({ id: 'abc' }).success).toBe(true);
    expect(test.safeParse({ name: 'n', type: 'libvirt', uri: 'qemu:///system' }).success).toBe(
      true,
    );
    expect(test.safeParse({}).success).toBe(false);
  });

  it('lists every channel once', () => {
    expect(new Set(channels).size).toBe(Object.keys(contract).length);
    expect(channels).toContain('vm.list');
  });
});

describe('errors as data', () => {
  it('keeps code, message and details across the boundary', () => {
    const err = new HyperkeepError('CONNECT_FAILED', 'no socket', { uri: 'x' });
    expect(HyperkeepError.fromData(err.toData()).toData()).toEqual(err.toData());
  });
  it('turns unexpected exceptions into INTERNAL without a stack', () => {
    const data = toErrorData(new TypeError('boom'));
    expect(data.code).toBe('INTERNAL');
    expect(data.message).toContain('boom');
    expect(JSON.stringify(data)).not.toContain('at ');
  });
});

import { describe, expect, it } from 'vitest';
import { vmErrorsTitle } from '../../../../../src-renderer/features/vms/vm-text';

const unanswered = { error: { code: 'UNAVAILABLE' } };
const twice = { error: { code: 'ALREADY_EXISTS' } };

describe('the VM list warning title', () => {
  it('calls the list incomplete only when a hypervisor did not answer', () => {
    expect(vmErrorsTitle([unanswered, twice])).toBe(
      'The list is incomplete: 1 hypervisor did not answer',
    );
    expect(vmErrorsTitle([twice])).toBe('A host is registered twice');
    expect(vmErrorsTitle([twice, twice])).toBe('2 hosts are registered twice');
  });
});

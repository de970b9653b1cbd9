import { describe, expect, it } from 'vitest';
import { removalBlockedReason } from '../../../../../src-renderer/features/hypervisors/removal';

const host = { id: 'h1', name: 'lab-host-1' };

describe('removing a hypervisor a backup set uses (review P16)', () => {
  it('names the backup sets that target it, so Remove is not offered', () => {
    expect(
      removalBlockedReason(host, [
        { name: 'lab-set', hypervisorIds: ['h1', 'h2'] },
        { name: 'other', hypervisorIds: ['h2'] },
      ]),
    ).toBe(
      'lab-host-1 is a target of backup set “lab-set”: remove it from that set first (Backup sets → Properties), then remove the hypervisor.',
    );
    expect(
      removalBlockedReason(host, [
        { name: 'a', hypervisorIds: ['h1'] },
        { name: 'b', hypervisorIds: ['h1'] },
      ]),
    ).toMatch(/^lab-host-1 is a target of backup sets “a”, “b”: remove it from those sets first/);
  });

  it('does not block a hypervisor no backup set uses', () => {
    expect(removalBlockedReason(host, [{ name: 'other', hypervisorIds: ['h2'] }])).toBeUndefined();
    expect(removalBlockedReason(host, [])).toBeUndefined();
  });
});

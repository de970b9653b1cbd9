import { describe, expect, it } from 'vitest';
import {
  OWN_HOST_LABEL,
  recoveryTestHostChoices,
} from '../../../../../src-renderer/features/backup-sets/subclient/recovery-test-host';
import { tabOfField } from '../../../../../src-renderer/features/backup-sets/subclient/use-subclient-form';

const hosts = [
  { id: 'h1', name: 'lab-host-1', type: 'libvirt' as const },
  { id: 'h2', name: 'vcenter', type: 'vsphere' as const },
];

describe('recovery test host choices', () => {
  it('offers each VM’s own host first, then the hosts by name, vSphere greyed out with why', () => {
    const { selected, choices } = recoveryTestHostChoices('', hosts, true);
    expect(selected).toBe('');
    expect(choices).toEqual([
      { value: '', label: OWN_HOST_LABEL },
      { value: 'h1', label: 'lab-host-1' },
      {
        value: 'h2',
        label: 'vcenter',
        disabledReason: 'vSphere: recovery tests run on libvirt hosts only',
      },
    ]);
  });

  it('shows a host saved by id or by name (as the CLI writes it) as that host', () => {
    expect(recoveryTestHostChoices('h1', hosts, true).selected).toBe('h1');
    expect(recoveryTestHostChoices('LAB-HOST-1', hosts, true).selected).toBe('h1');
  });

  it('keeps a host that is no longer registered visible instead of showing "own host"', () => {
    const { selected, choices } = recoveryTestHostChoices('gone-host', hosts, true);
    expect(selected).toBe('gone-host');
    expect(choices.at(-1)).toEqual({
      value: 'gone-host',
      label: 'gone-host (not registered)',
      disabledReason: 'No hypervisor of this name or id is registered',
    });
    // Before the list has loaded nothing is known to be missing yet.
    expect(recoveryTestHostChoices('gone-host', [], false).choices.at(-1)).toEqual({
      value: 'gone-host',
      label: 'gone-host',
    });
  });
});

describe('recovery test errors', () => {
  it('open the Schedule tab, where the recovery test is set', () => {
    expect(tabOfField('settings.recoveryTest.cron')).toBe('schedule');
    expect(tabOfField('settings.recoveryTest.bootSeconds')).toBe('schedule');
  });
});

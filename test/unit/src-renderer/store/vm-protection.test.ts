import { describe, expect, it } from 'vitest';
import type {
  BackupSet,
  DiscoveryResult,
  VmAssignment,
} from '../../../../shared/domain/backup-set';
import { protectionByVm } from '../../../../src-renderer/store/vm-protection';

const set = (id: string, name: string) => ({ id, name }) as BackupSet;

function assignment(
  vmUuid: string,
  subclient: [string, string] | null,
  lastSeen: string,
): VmAssignment {
  return {
    vmUuid,
    vmName: vmUuid,
    hypervisorId: 'h1',
    hypervisorName: 'lab-host-1',
    host: 'vm',
    powerState: 'running',
    subclientId: subclient?.[0] ?? null,
    subclientName: subclient?.[1] ?? null,
    reason: '',
    manual: false,
    status: 'present',
    firstSeen: lastSeen,
    lastSeen,
  };
}

const result = (backupSetId: string, assignments: VmAssignment[]): DiscoveryResult => ({
  backupSetId,
  discoveredAt: '2026-11-23T10:00:00.000Z',
  assignments,
  errors: [],
  warnings: [],
});

describe('protectionByVm', () => {
  it('names the set and subclient of a VM, and leaves out the VMs no subclient holds', () => {
    const protection = protectionByVm(
      [set('s1', 'lab-set')],
      [
        result('s1', [
          assignment('web', ['c1', 'web'], '2026-11-23T10:00:00.000Z'),
          assignment('db', null, '2026-11-23T10:00:00.000Z'),
        ]),
      ],
    );
    expect(protection).toEqual({
      web: { backupSetId: 's1', backupSetName: 'lab-set', subclientId: 'c1', subclientName: 'web' },
    });
  });

  it('a VM in subclients of two sets is protected by its latest assignment, as the engine picks', () => {
    const protection = protectionByVm(
      [set('s1', 'old-set'), set('s2', 'new-set')],
      [
        result('s2', [assignment('web', ['c2', 'nightly'], '2026-11-23T11:00:00.000Z')]),
        result('s1', [assignment('web', ['c1', 'web'], '2026-11-23T10:00:00.000Z')]),
      ],
    );
    expect(protection['web']?.backupSetName).toBe('new-set');
    expect(protection['web']?.subclientName).toBe('nightly');
  });
});

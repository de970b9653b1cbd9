import { describe, expect, it } from 'vitest';
import type { Job } from '../../../../../shared/domain/jobs';
import { jobOutcome } from '../../../../../src-renderer/features/jobs/job-outcome';
import { resultRows } from '../../../../../src-renderer/features/jobs/job-text';
import {
  bootSecondsError,
  recoveryTestHostProblem,
} from '../../../../../src-renderer/features/points/RecoveryTestDialog';

const agentResult = {
  testVm: 'lab-web-01-recovery-test-1a2b3c4d',
  point: '20261123T234004Z-c73cb274',
  heartbeat: 'guest agent',
  seconds: 23,
};
const keptRunningResult = { ...agentResult, heartbeat: 'kept running', seconds: 180 };

function job(overrides: Partial<Job>): Job {
  return {
    id: 'j1',
    kind: 'restore',
    title: 'Recovery test of lab-web-01 (2026-11-23T23:40:04.000Z) on lab-host-1',
    status: 'succeeded',
    createdAt: '2026-11-23T23:40:10.000Z',
    phase: 'succeeded',
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
    tasks: [],
    warnings: [],
    ...overrides,
  };
}

describe('a recovery test result, in words', () => {
  it('says the copy came up when its guest agent answered, and names the copy', () => {
    expect(resultRows(agentResult)).toEqual([
      ['Outcome', 'came up — its guest agent answered after 23 s'],
      ['Test copy', 'lab-web-01-recovery-test-1a2b3c4d (removed after the test)'],
      ['Restore point', '20261123T234004Z-c73cb274'],
    ]);
  });

  it('says that only the power state was checked for a guest without an agent', () => {
    expect(resultRows(keptRunningResult)[0]).toEqual([
      'Outcome',
      'kept running for 180 s (no guest agent: only its power state was checked)',
    ]);
  });

  it('leaves other results with their plain rows', () => {
    expect(resultRows({ ...agentResult, heartbeat: 'pinged' })).toContainEqual([
      'Heartbeat',
      'pinged',
    ]);
  });

  it('gives a passed test a headline where it was started; a failed one has its error instead', () => {
    expect(jobOutcome(job({ result: keptRunningResult }))?.headline).toBe(
      'Passed: the copy kept running for 180 s (no guest agent: only its power state was checked). lab-web-01-recovery-test-1a2b3c4d was removed again.',
    );
    expect(jobOutcome(job({ result: agentResult, status: 'failed' }))).toBeUndefined();
    expect(jobOutcome(job({ result: agentResult, status: 'running' }))).toBeUndefined();
    // A plain VM restore has no outcome line.
    expect(jobOutcome(job({ result: { vm: 'lab-web-01-restored' } }))).toBeUndefined();
  });
});

describe('the recovery test dialog', () => {
  it('offers libvirt hosts only', () => {
    expect(recoveryTestHostProblem({ type: 'libvirt' })).toBeUndefined();
    expect(recoveryTestHostProblem({ type: 'vsphere' })).toBe(
      'vSphere: recovery tests run on libvirt hosts only',
    );
  });

  it('takes a whole number of seconds from 5 to 3600', () => {
    expect(bootSecondsError('180')).toBeNull();
    expect(bootSecondsError(' 5 ')).toBeNull();
    expect(bootSecondsError('3600')).toBeNull();
    for (const bad of ['', '4', '6.5', 'abc', '-10'])
      expect(bootSecondsError(bad)).toBe('Enter a whole number of seconds from 5 to 3600');
    expect(bootSecondsError('3601')).toBe('At most 3600 seconds (one hour)');
  });
});

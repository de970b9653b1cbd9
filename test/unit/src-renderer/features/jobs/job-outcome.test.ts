import { describe, expect, it } from 'vitest';
import type { Job, PruneJobResult } from '../../../../../shared/domain/jobs';
import {
  jobOutcome,
  withoutPruneLists,
} from '../../../../../src-renderer/features/jobs/job-outcome';
import { measured, resultRows } from '../../../../../src-renderer/features/jobs/job-text';

function job(overrides: Partial<Job>): Job {
  return {
    id: 'j1',
    kind: 'prune',
    title: 'Prune default',
    status: 'succeeded',
    createdAt: '2026-01-01T10:00:00.000Z',
    phase: 'succeeded',
    bytesDone: 0,
    bytesTotal: 0,
    rate: 0,
    tasks: [],
    warnings: [],
    ...overrides,
  };
}

const point = (id: string, time: string) => ({
  id,
  vmUuid: 'u1',
  vmName: 'lab-web-01',
  time,
  reason: 'not kept by the retention of lab-set / web (last 1)',
});

describe('what an ended prune or verify shows where it was started', () => {
  it('a dry run: the points that would go, newest first, and how many stay', () => {
    const result: PruneJobResult = {
      dryRun: true,
      wouldRemove: [point('a', '2026-01-01T01:00:00Z'), point('b', '2026-01-02T01:00:00Z')],
      kept: [point('c', '2026-01-03T01:00:00Z')],
      skippedVms: [{ vmUuid: 'u2', vmName: 'lab-archive-01', points: 9 }],
    };
    const outcome = jobOutcome(job({ title: 'Prune default (dry run)', result }))!;
    expect(outcome.headline).toBe('Would remove 2 restore points, keep 10.');
    expect(outcome.pointsLabel).toBe('Would be removed');
    expect(outcome.points.map((p) => p.id)).toEqual(['b', 'a']);
  });

  it('a real prune that freed nothing says why; its lists are not repeated as result rows', () => {
    const result = {
      dryRun: false,
      removed: [point('a', '2026-01-01T01:00:00Z')],
      kept: [point('c', '2026-01-03T01:00:00Z')],
      skippedVms: [],
      freedBytes: 0,
      deletedPacks: 0,
    };
    expect(jobOutcome(job({ result }))?.headline).toBe(
      'Removed 1 restore point, kept 1, freed 0 B (their data is shared with the points kept).',
    );
    expect(resultRows(withoutPruneLists(result))).toEqual([
      ['Space freed', '0 B'],
      ['Packs deleted', '0'],
    ]);
  });

  it('a deletion by request says what of the VM remains, never "kept 0" (review M11)', () => {
    const deleted = (id: string, time: string) => ({
      ...point(id, time),
      reason: 'deleted by request',
    });
    const removed = [deleted('a', '2026-01-01T01:00:00Z'), deleted('b', '2026-01-02T01:00:00Z')];
    const all = { dryRun: false, removed, kept: [], skippedVms: [], freedBytes: 600 * 2 ** 20 };
    expect(jobOutcome(job({ result: all }))?.headline).toBe(
      'Removed 2 restore points, freed 600 MiB.',
    );
    const some = {
      ...all,
      kept: [{ ...point('c', '2026-01-03T01:00:00Z'), reason: 'not chosen for deletion' }],
    };
    expect(jobOutcome(job({ result: some }))?.headline).toBe(
      'Removed 2 restore points, freed 600 MiB; 1 other restore point of lab-web-01 remains.',
    );
    const dry = { dryRun: true, wouldRemove: removed, kept: some.kept, skippedVms: [] };
    expect(jobOutcome(job({ result: dry }))?.headline).toBe(
      'Would remove 2 restore points; 1 other restore point of lab-web-01 would remain.',
    );
  });

  it('a verify shows the summary the CLI prints; a prune of an older engine shows none', () => {
    const task = {
      key: 'default',
      label: 'repository default',
      status: 'succeeded' as const,
      phase: 'succeeded',
      bytesDone: 0,
      bytesTotal: 0,
      rate: 0,
      message: '3 points, 2 packs',
    };
    expect(jobOutcome(job({ kind: 'verify', tasks: [task] }))?.headline).toBe(
      'Checked 3 points, 2 packs.',
    );
    expect(jobOutcome(job({ result: { wouldRemove: ['a'] } }))).toBeUndefined();
  });

  it('an ended job that moved no data shows no "0 B"; a running one does', () => {
    expect(measured(job({}))).toBe(false);
    expect(measured(job({ status: 'running' }))).toBe(true);
    expect(measured(job({ kind: 'verify', bytesDone: 10, bytesTotal: 10 }))).toBe(true);
  });
});

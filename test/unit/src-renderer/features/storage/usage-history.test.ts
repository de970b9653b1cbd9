import { describe, expect, it } from 'vitest';
import type { RestorePoint } from '../../../../../shared/domain/jobs';
import { usageHistory } from '../../../../../src-renderer/features/storage/usage-history';

function point(id: string, repository: string, time: string, logical: number, stored: number) {
  return {
    id,
    repository,
    vmUuid: 'uuid-1',
    vmName: 'lab-web-01',
    time,
    type: 'incremental',
    consistency: 'crash',
    logicalBytes: logical,
    storedBytes: stored,
    disks: [],
  } satisfies RestorePoint;
}

describe('usageHistory', () => {
  it('adds up each repository point by point, oldest first, whatever order points.list used', () => {
    const history = usageHistory([
      point('p3', 'main', '2026-03-03T10:00:00Z', 100, 5),
      point('o1', 'offsite', '2026-03-01T12:00:00Z', 50, 40),
      point('p1', 'main', '2026-03-01T10:00:00Z', 100, 60),
      point('p2', 'main', '2026-03-02T10:00:00Z', 100, 10),
    ]);
    expect(history).toEqual([
      {
        repository: 'main',
        samples: [
          { time: Date.parse('2026-03-01T10:00:00Z'), logicalBytes: 100, storedBytes: 60 },
          { time: Date.parse('2026-03-02T10:00:00Z'), logicalBytes: 200, storedBytes: 70 },
          { time: Date.parse('2026-03-03T10:00:00Z'), logicalBytes: 300, storedBytes: 75 },
        ],
      },
      {
        repository: 'offsite',
        samples: [{ time: Date.parse('2026-03-01T12:00:00Z'), logicalBytes: 50, storedBytes: 40 }],
      },
    ]);
  });

  it('leaves out a point whose time does not parse instead of drawing it at 1970', () => {
    const history = usageHistory([
      point('bad', 'main', 'yesterday', 100, 100),
      point('ok', 'main', '2026-03-01T10:00:00Z', 10, 1),
    ]);
    expect(history[0]?.samples).toEqual([
      { time: Date.parse('2026-03-01T10:00:00Z'), logicalBytes: 10, storedBytes: 1 },
    ]);
  });

  it('has nothing to draw without points', () => {
    expect(usageHistory([])).toEqual([]);
  });
});

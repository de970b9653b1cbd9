import { describe, expect, it } from 'vitest';
import type { RestorePoint } from '../../../../../shared/domain/jobs';
import { usageHistory } from '../../../../../src-renderer/features/storage/usage-history';

function point(id: string, repository: string, time: string, data: number, stored: number) {
  return {
    id,
    repository,
    vmUuid: 'uuid-1',
    vmName: 'lab-web-01',
    time,
    type: 'incremental',
    consistency: 'crash',
    // Provisioned 100× the data, as a mostly empty lab disk is.
    logicalBytes: data * 100,
    storedBytes: stored,
    disks: [{ name: 'vda', sizeBytes: data * 100, dataBytes: data }],
  } satisfies RestorePoint;
}

describe('usageHistory', () => {
  it('adds up the data (not the provisioned size) of each repository point by point, oldest first', () => {
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
          { time: Date.parse('2026-03-01T10:00:00Z'), protectedBytes: 100, storedBytes: 60 },
          { time: Date.parse('2026-03-02T10:00:00Z'), protectedBytes: 200, storedBytes: 70 },
          { time: Date.parse('2026-03-03T10:00:00Z'), protectedBytes: 300, storedBytes: 75 },
        ],
      },
      {
        repository: 'offsite',
        samples: [
          { time: Date.parse('2026-03-01T12:00:00Z'), protectedBytes: 50, storedBytes: 40 },
        ],
      },
    ]);
  });

  it('leaves out a point whose time does not parse instead of drawing it at 1970', () => {
    const history = usageHistory([
      point('bad', 'main', 'yesterday', 100, 100),
      point('ok', 'main', '2026-03-01T10:00:00Z', 10, 1),
    ]);
    expect(history[0]?.samples).toEqual([
      { time: Date.parse('2026-03-01T10:00:00Z'), protectedBytes: 10, storedBytes: 1 },
    ]);
  });

  it('has nothing to draw without points', () => {
    expect(usageHistory([])).toEqual([]);
  });
});
